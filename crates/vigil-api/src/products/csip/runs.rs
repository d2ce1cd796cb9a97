//! Runs of a risk scan task. A task whose items need two engines (the network engine for
//! port, weakpass, configrisk, exposedserver; the `poc` engine for poc) runs as a lead task
//! (the saved scan's spec, which schedules fire) and companion tasks the product enqueues
//! beside it, each carrying the lead's id in its run `meta` (`csip_lead`). Everything CSIP
//! shows of a run (status, progress, risk counts, reports) reads the lead with its
//! companions as one run whose id is the lead's, and such a run's finish webhook is owed
//! once its last task has ended ([`CsipFinisher`]).

use super::NAME;
use crate::error::{ApiError, ApiResult};
use crate::Services;
use serde_json::{json, Value};
use vigil_core::spec::net::NetTarget;
use vigil_core::spec::poc::PocTarget;
use vigil_core::spec::EngineSpec;
use vigil_core::{TaskSpec, TaskState};
use vigil_store::{Job, NewTask, TaskRecord};

/// Key of the lead's id in a companion's run `meta`.
const LEAD_KEY: &str = "csip_lead";
/// Key of the companion specs in a task's definition.
pub(super) const COMPANIONS: &str = "Companions";

/// The lead run a companion task belongs to.
pub(super) fn lead_of(t: &TaskRecord) -> Option<i64> {
    t.options
        .get("meta")
        .and_then(|m| m.get(LEAD_KEY))
        .and_then(Value::as_i64)
}

/// One run: the lead task and its companions.
#[derive(Debug, Clone)]
pub(super) struct Run {
    /// The task the schedule or request started; its id is the run's.
    pub lead: TaskRecord,
    /// Tasks of the other engines.
    pub parts: Vec<TaskRecord>,
}

impl Run {
    /// Lead and companions.
    pub fn tasks(&self) -> impl Iterator<Item = &TaskRecord> {
        std::iter::once(&self.lead).chain(self.parts.iter())
    }

    /// Ids of every task of the run.
    pub fn ids(&self) -> Vec<i64> {
        self.tasks().map(|t| t.id).collect()
    }

    /// The run's state: running while any task is unfinished (queued while all are), then
    /// failed, stopped or succeeded by the worst of them.
    pub fn state(&self) -> TaskState {
        let states: Vec<TaskState> = self.tasks().map(|t| t.state).collect();
        if states.iter().all(|s| *s == TaskState::Queued) {
            TaskState::Queued
        } else if states.iter().any(|s| !s.is_terminal()) {
            if states.contains(&TaskState::Paused) && !states.contains(&TaskState::Running) {
                TaskState::Paused
            } else {
                TaskState::Running
            }
        } else if states.contains(&TaskState::Failed) {
            TaskState::Failed
        } else if states.contains(&TaskState::Stopped) {
            TaskState::Stopped
        } else {
            TaskState::Succeeded
        }
    }

    /// Mean progress of the tasks (0–100).
    pub fn progress(&self) -> f64 {
        let all: Vec<f64> = self
            .tasks()
            .map(|t| {
                if t.state == TaskState::Succeeded {
                    100.0
                } else {
                    t.progress as f64
                }
            })
            .collect();
        all.iter().sum::<f64>() / all.len() as f64
    }

    /// When the first task started.
    pub fn started_at(&self) -> Option<i64> {
        self.tasks().filter_map(|t| t.started_at).min()
    }

    /// When the last task finished, once all have.
    pub fn finished_at(&self) -> Option<i64> {
        if self.tasks().all(|t| t.state.is_terminal()) {
            self.tasks().filter_map(|t| t.finished_at).max()
        } else {
            None
        }
    }

    /// The first error of a task.
    pub fn error(&self) -> Option<String> {
        self.tasks().find_map(|t| t.error.clone())
    }

    /// A copy of the lead with the run's combined state, progress and times (what a single
    /// task run would show).
    pub fn summary(&self) -> TaskRecord {
        let mut t = self.lead.clone();
        t.state = self.state();
        t.progress = self.progress().round() as i64;
        t.started_at = self.started_at();
        t.finished_at = self.finished_at();
        t.error = self.error();
        t
    }
}

/// Tasks grouped into runs, in the order of their leads (a companion whose lead is not
/// among `tasks` is dropped).
pub(super) fn group(tasks: Vec<TaskRecord>) -> Vec<Run> {
    let (parts, leads): (Vec<TaskRecord>, Vec<TaskRecord>) =
        tasks.into_iter().partition(|t| lead_of(t).is_some());
    let mut runs: Vec<Run> = leads
        .into_iter()
        .map(|lead| Run {
            lead,
            parts: Vec::new(),
        })
        .collect();
    for p in parts {
        if let Some(r) = runs.iter_mut().find(|r| Some(r.lead.id) == lead_of(&p)) {
            r.parts.push(p);
        }
    }
    runs
}

/// The runs of a saved task, newest first.
pub(super) async fn job_runs(st: &Services, account_id: i64, job_id: i64) -> ApiResult<Vec<Run>> {
    Ok(group(st.store.job_runs(account_id, job_id).await?))
}

/// The companion specs a task's definition holds.
pub(super) fn companions(job: &Job) -> ApiResult<Vec<TaskSpec>> {
    match job.definition.get(COMPANIONS) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| ApiError::internal(&format!("companions of saved scan {}: {e}", job.id))),
    }
}

/// Enqueue the companions of run `lead` (once: those already queued for it are not queued
/// again).
pub(super) async fn start_companions(
    st: &Services,
    account_id: i64,
    job_id: i64,
    lead: i64,
    specs: &[TaskSpec],
) -> ApiResult<()> {
    if specs.is_empty() {
        return Ok(());
    }
    let existing: Vec<String> = st
        .store
        .job_runs(account_id, job_id)
        .await?
        .into_iter()
        .filter(|t| lead_of(t) == Some(lead))
        .map(|t| t.kind)
        .collect();
    for spec in specs.iter().filter(|s| !existing.contains(&s.kind)) {
        let mut spec = spec.clone();
        spec.job_id = Some(job_id);
        if let Value::Object(o) = &mut spec.options {
            o.insert("meta".into(), json!({ LEAD_KEY: lead }));
        }
        st.store
            .enqueue(&NewTask {
                account_id,
                spec,
                run_after: 0,
                schedule_id: None,
            })
            .await?;
    }
    Ok(())
}

/// A saved spec run again on some of its targets (`hosts`), with a timeout if given; `None`
/// when none of its targets is left.
pub(super) fn narrow(
    spec: &TaskSpec,
    hosts: &[String],
    timeout: Option<u64>,
) -> ApiResult<Option<TaskSpec>> {
    let bad = |why: String| ApiError::internal(&format!("a saved CSIP scan: {why}"));
    let engine = match spec.engine().map_err(|e| bad(e.to_string()))? {
        EngineSpec::Net(_, o) => EngineSpec::Net(
            NetTarget {
                targets: hosts.to_vec(),
            },
            o,
        ),
        EngineSpec::Poc(t, o) => {
            let kept: Vec<String> = t
                .targets
                .into_iter()
                .filter(|t| super::poc::on_hosts(t, hosts))
                .collect();
            if kept.is_empty() {
                return Ok(None);
            }
            EngineSpec::Poc(PocTarget { targets: kept }, o)
        }
        other => return Err(bad(format!("engine {} is not CSIP's", other.kind()))),
    };
    let mut run = spec.run_options().map_err(|e| bad(e.to_string()))?;
    if timeout.is_some() {
        run.timeout_secs = timeout;
    }
    let mut out = TaskSpec::new(NAME, &engine, &run).map_err(|e| ApiError::internal(&e))?;
    out.max_attempts = spec.max_attempts;
    Ok(Some(out))
}

/// The companions a definition holds, with the run-level settings (timeout, window) of the
/// queued lead.
pub(super) fn with_run_of(
    definition: &Value,
    queued: &vigil_core::spec::RunOptions,
) -> Result<Vec<TaskSpec>, vigil_core::spec::SpecError> {
    let saved: Vec<TaskSpec> = definition
        .get(COMPANIONS)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    let mut out = Vec::new();
    for c in saved {
        let mut run = c.run_options()?;
        run.timeout_secs = queued.timeout_secs;
        run.schedule = queued.schedule.clone();
        out.push(TaskSpec::new(NAME, &c.engine()?, &run)?);
    }
    Ok(out)
}

/// Attempts at the finish webhook of a run of two engines (as the worker's for one).
const WEBHOOK_ATTEMPTS: i64 = 5;

/// The finish webhook of runs of two engines: owed once the last of its tasks has ended,
/// with the worker's payload for the whole run (the lead's id, the run's state, the findings
/// of all its tasks). A run of one engine is called back by the worker itself.
pub struct CsipFinisher {
    state: std::sync::Arc<Services>,
}

impl CsipFinisher {
    /// The hook, reading tasks through `state`.
    pub fn new(state: std::sync::Arc<Services>) -> Self {
        CsipFinisher { state }
    }
}

#[async_trait::async_trait]
impl vigil_worker::Finisher for CsipFinisher {
    async fn finished(&self, task: &TaskRecord) -> Result<(), String> {
        let Some(job_id) = task.job_id else {
            return Ok(());
        };
        let st = &self.state;
        let why = |e: ApiError| e.message;
        let job = st
            .store
            .job_any(task.account_id, job_id)
            .await
            .map_err(|e| e.to_string())?;
        if companions(&job).map_err(why)?.is_empty() {
            return Ok(());
        }
        let hook = job
            .definition
            .get("FinishWebHook")
            .and_then(Value::as_str)
            .filter(|h| !h.is_empty());
        let Some(hook) = hook else {
            return Ok(());
        };
        let lead = lead_of(task).unwrap_or(task.id);
        let Some(run) = job_runs(st, task.account_id, job_id)
            .await
            .map_err(why)?
            .into_iter()
            .find(|r| r.lead.id == lead)
        else {
            return Ok(());
        };
        if !run.tasks().all(|t| t.state.is_terminal()) {
            return Ok(());
        }
        let found: i64 = st
            .store
            .sighting_counts(&run.ids())
            .await
            .map_err(|e| e.to_string())?
            .iter()
            .map(|c| c.1)
            .sum();
        let whole = run.summary();
        let payload = json!({
            "task_id": lead, "job_id": job_id, "product": NAME,
            "state": whole.state.as_str(), "error": whole.error,
            "findings": found, "started_at": whole.started_at, "finished_at": whole.finished_at,
        });
        st.store
            .enqueue_callback(&vigil_store::NewCallback {
                account_id: task.account_id,
                url: hook.to_string(),
                body: payload.to_string(),
                accept: vigil_store::Accept::Success,
                max_attempts: WEBHOOK_ATTEMPTS,
            })
            .await
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: i64, state: TaskState, lead: Option<i64>) -> TaskRecord {
        let meta = lead.map(|l| json!({ LEAD_KEY: l })).unwrap_or(Value::Null);
        TaskRecord {
            id,
            account_id: 1,
            product: "csip".into(),
            kind: "net".into(),
            target: Value::Null,
            options: json!({ "meta": meta }),
            state,
            progress: 0,
            attempts: 0,
            max_attempts: 1,
            cancel_requested: false,
            schedule_id: None,
            job_id: Some(1),
            error: None,
            run_after: 0,
            created_at: 0,
            started_at: None,
            finished_at: None,
        }
    }

    #[test]
    fn companions_join_their_lead() {
        let runs = group(vec![
            task(4, TaskState::Running, Some(3)),
            task(3, TaskState::Succeeded, None),
            task(2, TaskState::Succeeded, Some(1)),
            task(1, TaskState::Failed, None),
            task(9, TaskState::Queued, Some(8)),
        ]);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].ids(), vec![3, 4]);
        assert_eq!(runs[0].state(), TaskState::Running);
        assert_eq!(runs[1].state(), TaskState::Failed);
        let done = group(vec![
            task(6, TaskState::Succeeded, Some(5)),
            task(5, TaskState::Succeeded, None),
        ]);
        assert_eq!(done[0].state(), TaskState::Succeeded);
        assert_eq!(done[0].progress(), 100.0);
    }
}
