//! Typed contracts between products and engines, free of I/O so products can depend on
//! them: each engine's target and options ([`net`], [`web`], [`image`], [`apk`], [`poc`]) and the
//! worker's run options ([`RunOptions`]). A product builds an [`EngineSpec`] and a
//! [`RunOptions`] and turns them into a stored [`TaskSpec`] with [`TaskSpec::new`]; the
//! worker and the engines read them back with [`TaskSpec::run_options`] and
//! [`EngineSpec::parse`], so a misspelt option fails where it is written, and a malformed
//! stored one fails the run with the reason instead of being ignored.

pub mod apk;
pub mod image;
pub mod image_evidence;
pub mod net;
pub mod poc;
mod run;
pub mod web;

pub use run::{RunOptions, KEYS as RUN_OPTION_KEYS};

use crate::TaskSpec;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

/// What an engine is asked to do: its kind's target and options.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineSpec {
    /// A network scan.
    Net(net::NetTarget, net::NetOptions),
    /// A website scan.
    Web(web::WebTargets, web::WebOptions),
    /// An image scan.
    Image(image::ImageTarget, image::ImageOptions),
    /// An Android package scan.
    Apk(apk::ApkTarget, apk::ApkOptions),
    /// Known-vulnerability checks by templates.
    Poc(poc::PocTarget, poc::PocOptions),
}

/// A stored target or options that do not fit the engine's contract.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// No engine of this kind.
    #[error("no engine kind `{0}`")]
    UnknownKind(String),
    /// The target or options do not deserialise.
    #[error("invalid {what} of a `{kind}` task: {source}")]
    Invalid {
        /// Engine kind.
        kind: String,
        /// `target`, `options` or `run options`.
        what: &'static str,
        /// Why.
        source: serde_json::Error,
    },
    /// The contract's types failed to serialise (a bug).
    #[error("cannot encode a task: {0}")]
    Encode(serde_json::Error),
}

impl EngineSpec {
    /// Engine kinds with a contract here.
    pub const KINDS: [&'static str; 4] = ["net", "web", "image", "apk"];

    /// The engine kind that runs it.
    pub fn kind(&self) -> &'static str {
        match self {
            EngineSpec::Net(..) => "net",
            EngineSpec::Web(..) => "web",
            EngineSpec::Image(..) => "image",
            EngineSpec::Apk(..) => "apk",
            EngineSpec::Poc(..) => "poc",
        }
    }

    /// Read a stored target and options (the options may carry the worker's keys, which
    /// are left out here).
    pub fn parse(kind: &str, target: &Value, options: &Value) -> Result<EngineSpec, SpecError> {
        let engine_options = without_run_keys(options);
        Ok(match kind {
            "net" => EngineSpec::Net(
                decode(kind, "target", target)?,
                decode(kind, "options", &engine_options)?,
            ),
            "web" => EngineSpec::Web(
                decode(kind, "target", target)?,
                decode(kind, "options", &engine_options)?,
            ),
            "image" => EngineSpec::Image(
                decode(kind, "target", target)?,
                decode(kind, "options", &engine_options)?,
            ),
            "apk" => EngineSpec::Apk(
                decode(kind, "target", target)?,
                decode(kind, "options", &engine_options)?,
            ),
            "poc" => EngineSpec::Poc(
                decode(kind, "target", target)?,
                decode(kind, "options", &engine_options)?,
            ),
            other => return Err(SpecError::UnknownKind(other.to_string())),
        })
    }

    fn encode(&self) -> Result<(Value, Value), SpecError> {
        fn pair<T: Serialize, O: Serialize>(t: &T, o: &O) -> Result<(Value, Value), SpecError> {
            Ok((
                serde_json::to_value(t).map_err(SpecError::Encode)?,
                serde_json::to_value(o).map_err(SpecError::Encode)?,
            ))
        }
        match self {
            EngineSpec::Net(t, o) => pair(t, o),
            EngineSpec::Web(t, o) => pair(t, o),
            EngineSpec::Image(t, o) => pair(t, o),
            EngineSpec::Apk(t, o) => pair(t, o),
            EngineSpec::Poc(t, o) => pair(t, o),
        }
    }
}

fn decode<T: DeserializeOwned>(kind: &str, what: &'static str, v: &Value) -> Result<T, SpecError> {
    let v = if v.is_null() {
        Value::Object(Map::new())
    } else {
        v.clone()
    };
    serde_json::from_value(v).map_err(|source| SpecError::Invalid {
        kind: kind.to_string(),
        what,
        source,
    })
}

/// The engine's part of stored options: everything but the worker's keys.
pub fn without_run_keys(options: &Value) -> Value {
    match options {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !RUN_OPTION_KEYS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        Value::Null => Value::Object(Map::new()),
        other => other.clone(),
    }
}

impl TaskSpec {
    /// The stored form of a task of `product`: the engine's kind, target and options, with
    /// the worker's options beside the engine's. Runs retry up to three times.
    pub fn new(
        product: &str,
        engine: &EngineSpec,
        run: &RunOptions,
    ) -> Result<TaskSpec, SpecError> {
        let (target, mut options) = engine.encode()?;
        if let (Value::Object(o), Value::Object(r)) = (
            &mut options,
            serde_json::to_value(run).map_err(SpecError::Encode)?,
        ) {
            o.extend(r);
        }
        Ok(TaskSpec {
            product: product.to_string(),
            kind: engine.kind().to_string(),
            target,
            options,
            max_attempts: 3,
            job_id: None,
        })
    }

    /// The engine's target and options, checked against its contract.
    pub fn engine(&self) -> Result<EngineSpec, SpecError> {
        EngineSpec::parse(&self.kind, &self.target, &self.options)
    }

    /// The worker's options, checked.
    pub fn run_options(&self) -> Result<RunOptions, SpecError> {
        run_options(&self.kind, &self.options)
    }
}

/// The worker's options among a task's stored `options`.
pub fn run_options(kind: &str, options: &Value) -> Result<RunOptions, SpecError> {
    let picked: Map<String, Value> = match options {
        Value::Object(m) => m
            .iter()
            .filter(|(k, _)| RUN_OPTION_KEYS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => Map::new(),
    };
    serde_json::from_value(Value::Object(picked)).map_err(|source| SpecError::Invalid {
        kind: kind.to_string(),
        what: "run options",
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_task_round_trips_through_its_stored_form() {
        let engine = EngineSpec::Net(
            net::NetTarget {
                targets: vec!["10.0.0.1".into()],
            },
            net::NetOptions {
                items: vec![net::NetItem::Port, net::NetItem::Weakpass],
                skip_services: vec![net::WeakpassService::Ssh],
                ..Default::default()
            },
        );
        let run = RunOptions {
            rate_per_second: Some(50),
            timeout_secs: Some(60),
            ..Default::default()
        };
        let spec = TaskSpec::new("csip", &engine, &run).unwrap();
        assert_eq!(spec.kind, "net");
        assert_eq!(spec.options["items"], json!(["port", "weakpass"]));
        assert_eq!(spec.options["rate_per_second"], 50);
        assert_eq!(spec.engine().unwrap(), engine);
        assert_eq!(spec.run_options().unwrap(), run);
    }

    #[test]
    fn malformed_stored_options_are_errors_not_defaults() {
        let spec = TaskSpec {
            product: "csip".into(),
            kind: "net".into(),
            target: json!({"targets": []}),
            options: json!({"schedule": {"trigger": "nonsense"}, "ports": "top100"}),
            max_attempts: 1,
            job_id: None,
        };
        let e = spec.run_options().unwrap_err();
        assert!(e.to_string().contains("run options"), "{e}");
        assert!(spec.engine().is_ok());
        let typo = TaskSpec {
            options: json!({"prots": "top100"}),
            ..spec
        };
        assert!(typo.engine().unwrap_err().to_string().contains("prots"));
        assert!(matches!(
            EngineSpec::parse("nope", &json!({}), &json!({})),
            Err(SpecError::UnknownKind(_))
        ));
    }
}
