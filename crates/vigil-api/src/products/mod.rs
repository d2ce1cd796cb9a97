//! One module per cloud product, mapping its actions to store and queue operations and
//! rendering the product's response shapes.

pub mod cws;
