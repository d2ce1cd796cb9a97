//! What a finished run examined. After a successful run the worker takes every open finding
//! of the run's scope that the run did not see again, and asks the run's [`Coverage`] whether
//! the run looked where that finding was. Only then is the finding fixed: a narrower rerun, a
//! host that was down or a check that was switched off proves nothing.

use vigil_core::Finding;

/// Answers, for a finding the run did not report, whether the run would have reported it
/// had it still been there.
pub trait Coverage: Send + Sync + std::fmt::Debug {
    /// True when the run examined the place and check of `finding` completely.
    fn covers(&self, finding: &Finding) -> bool;
}

/// Coverage of an engine that examines its whole target on every run, so that everything
/// of the run's scope that it did not see again is gone.
#[derive(Debug, Clone, Copy, Default)]
pub struct Everything;

impl Coverage for Everything {
    fn covers(&self, _: &Finding) -> bool {
        true
    }
}

/// Coverage of a run that proves nothing fixed (e.g. one that cannot tell what it examined).
#[derive(Debug, Clone, Copy, Default)]
pub struct Nothing;

impl Coverage for Nothing {
    fn covers(&self, _: &Finding) -> bool {
        false
    }
}
