//! nuclei's expression language: govaluate syntax parsed into an AST, evaluated over named values with the helper functions templates use, and `{{...}}` placeholders in request text.
