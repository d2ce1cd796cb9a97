//! When a recurring or deferred task fires: a trigger (once, fixed interval, cron), an optional
//! daily runtime window, optional start and end dates, and a time zone. Pure computation: the
//! scheduler in `vigil-worker` stores the next fire time and asks this module for the one after.

use crate::cron::{CronError, CronExpr};
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// What makes a schedule fire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Trigger {
    /// Fire once at this instant.
    Once {
        /// The instant.
        at: DateTime<Utc>,
    },
    /// Fire every `every_secs` seconds counted from `anchor`.
    Interval {
        /// Period in seconds (at least 1).
        every_secs: i64,
        /// First fire time; later ones are anchor + k * period.
        anchor: DateTime<Utc>,
    },
    /// Fire at the times of a cron expression (5, 6 or 7 fields) in the schedule's time zone.
    Cron {
        /// The expression as given.
        expr: String,
    },
}

/// A time-of-day window tasks may run in; `end` before `start` means it spans midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyWindow {
    /// Opening time of day (inclusive).
    pub start: NaiveTime,
    /// Closing time of day (exclusive).
    pub end: NaiveTime,
}

impl DailyWindow {
    /// Whether a local time of day lies inside the window.
    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.start <= self.end {
            t >= self.start && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }
}

/// Why a schedule description was refused.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// Bad cron expression.
    #[error(transparent)]
    Cron(#[from] CronError),
    /// Unknown IANA time zone name.
    #[error("unknown time zone `{0}` (use an IANA name such as UTC or Asia/Shanghai)")]
    TimeZone(String),
    /// Interval below one second.
    #[error("interval must be at least 1 second")]
    Interval,
    /// Window with equal start and end.
    #[error("runtime window start and end must differ")]
    EmptyWindow,
    /// End date before start date.
    #[error("end date is before start date")]
    Dates,
}

/// A complete schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// What fires it.
    pub trigger: Trigger,
    /// IANA time zone for cron fields and the window (default UTC).
    #[serde(default = "default_tz")]
    pub time_zone: String,
    /// Optional daily runtime window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<DailyWindow>,
    /// Do not fire before this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<DateTime<Utc>>,
    /// Do not fire after this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<DateTime<Utc>>,
}

fn default_tz() -> String {
    "UTC".into()
}

/// Upper bound on fire-time candidates examined while skipping ones outside the window.
const MAX_CANDIDATES: usize = 10_000;

impl Schedule {
    /// A schedule of one trigger in UTC, with no window and no date bounds.
    pub fn new(trigger: Trigger) -> Self {
        Schedule {
            trigger,
            time_zone: default_tz(),
            window: None,
            not_before: None,
            not_after: None,
        }
    }

    /// Check every part; call before storing a schedule.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        self.tz()?;
        match &self.trigger {
            Trigger::Cron { expr } => {
                CronExpr::parse(expr)?;
            }
            Trigger::Interval { every_secs, .. } if *every_secs < 1 => {
                return Err(ScheduleError::Interval)
            }
            _ => {}
        }
        if let Some(w) = self.window {
            if w.start == w.end {
                return Err(ScheduleError::EmptyWindow);
            }
        }
        if let (Some(a), Some(b)) = (self.not_before, self.not_after) {
            if b < a {
                return Err(ScheduleError::Dates);
            }
        }
        Ok(())
    }

    fn tz(&self) -> Result<Tz, ScheduleError> {
        self.time_zone
            .parse::<Tz>()
            .map_err(|_| ScheduleError::TimeZone(self.time_zone.clone()))
    }

    /// Whether `t` lies inside the runtime window (always true without one).
    pub fn in_window(&self, t: DateTime<Utc>) -> bool {
        match (self.window, self.tz()) {
            (Some(w), Ok(tz)) => w.contains(t.with_timezone(&tz).time()),
            _ => true,
        }
    }

    /// The next instant at or after `t` that lies inside the window.
    pub fn next_window_open(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let (Some(w), Ok(tz)) = (self.window, self.tz()) else {
            return Some(t);
        };
        if w.contains(t.with_timezone(&tz).time()) {
            return Some(t);
        }
        let local = t.with_timezone(&tz);
        for day in 0..3 {
            let date = local.date_naive() + Duration::days(day);
            let open = tz.from_local_datetime(&date.and_time(w.start)).earliest();
            if let Some(open) = open {
                if open > local {
                    return Some(open.with_timezone(&Utc));
                }
            }
        }
        None
    }

    /// First fire time strictly after `after`, honouring start/end dates; a fire time that
    /// falls outside the runtime window moves to the window's next opening.
    pub fn next_fire(&self, after: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, ScheduleError> {
        let tz = self.tz()?;
        let floor = match self.not_before {
            Some(nb) if nb > after => nb - Duration::seconds(1),
            _ => after,
        };
        let raw = match &self.trigger {
            Trigger::Once { at } => (*at > floor).then_some(*at),
            Trigger::Interval { every_secs, anchor } => {
                if *anchor > floor {
                    Some(*anchor)
                } else {
                    let elapsed = (floor - *anchor).num_seconds();
                    let k = elapsed / every_secs + 1;
                    Some(*anchor + Duration::seconds(k * every_secs))
                }
            }
            Trigger::Cron { expr } => {
                let cron = CronExpr::parse(expr)?;
                let mut cursor = floor.with_timezone(&tz);
                let mut found = None;
                for _ in 0..MAX_CANDIDATES {
                    match cron.next_after(&cursor) {
                        Some(n) if self.in_window(n.with_timezone(&Utc)) => {
                            found = Some(n.with_timezone(&Utc));
                            break;
                        }
                        Some(n) => cursor = n,
                        None => break,
                    }
                }
                found.or_else(|| {
                    // Every cron time is outside the window: run at the next opening instead.
                    cron.next_after(&floor.with_timezone(&tz))
                        .and_then(|n| self.next_window_open(n.with_timezone(&Utc)))
                })
            }
        };
        let fire = raw.and_then(|r| self.next_window_open(r));
        Ok(fire.filter(|f| self.not_after.is_none_or(|na| *f <= na)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn sched(trigger: Trigger) -> Schedule {
        Schedule {
            trigger,
            time_zone: "UTC".into(),
            window: None,
            not_before: None,
            not_after: None,
        }
    }

    #[test]
    fn once_fires_once() {
        let s = sched(Trigger::Once {
            at: utc("2026-02-01T00:00:00Z"),
        });
        assert_eq!(
            s.next_fire(utc("2026-01-01T00:00:00Z")).unwrap(),
            Some(utc("2026-02-01T00:00:00Z"))
        );
        assert_eq!(s.next_fire(utc("2026-02-01T00:00:00Z")).unwrap(), None);
    }

    #[test]
    fn interval_counts_from_anchor() {
        let s = sched(Trigger::Interval {
            every_secs: 3600,
            anchor: utc("2026-01-01T00:00:00Z"),
        });
        assert_eq!(
            s.next_fire(utc("2026-01-01T05:30:00Z")).unwrap(),
            Some(utc("2026-01-01T06:00:00Z"))
        );
        assert_eq!(
            s.next_fire(utc("2025-01-01T00:00:00Z")).unwrap(),
            Some(utc("2026-01-01T00:00:00Z"))
        );
    }

    #[test]
    fn window_defers_fires_and_spans_midnight() {
        let mut s = sched(Trigger::Interval {
            every_secs: 3600,
            anchor: utc("2026-01-01T00:00:00Z"),
        });
        s.window = Some(DailyWindow {
            start: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(6, 0, 0).unwrap(),
        });
        assert!(s.in_window(utc("2026-01-01T23:00:00Z")));
        assert!(s.in_window(utc("2026-01-01T05:59:59Z")));
        assert!(!s.in_window(utc("2026-01-01T06:00:00Z")));
        assert_eq!(
            s.next_fire(utc("2026-01-01T07:30:00Z")).unwrap(),
            Some(utc("2026-01-01T22:00:00Z"))
        );
        assert_eq!(
            s.next_fire(utc("2026-01-01T23:30:00Z")).unwrap(),
            Some(utc("2026-01-02T00:00:00Z"))
        );
    }

    #[test]
    fn cron_in_time_zone_with_dates() {
        let mut s = sched(Trigger::Cron {
            expr: "0 0 9 * * ?".into(),
        });
        s.time_zone = "Asia/Shanghai".into();
        s.not_before = Some(utc("2026-03-01T00:00:00Z"));
        s.not_after = Some(utc("2026-03-03T00:00:00Z"));
        assert_eq!(
            s.next_fire(utc("2026-01-01T00:00:00Z")).unwrap(),
            Some(utc("2026-03-01T01:00:00Z"))
        );
        assert_eq!(s.next_fire(utc("2026-03-02T01:00:00Z")).unwrap(), None);
    }

    #[test]
    fn cron_outside_window_moves_to_opening() {
        let mut s = sched(Trigger::Cron {
            expr: "0 12 * * *".into(),
        });
        s.window = Some(DailyWindow {
            start: NaiveTime::from_hms_opt(1, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(2, 0, 0).unwrap(),
        });
        assert_eq!(
            s.next_fire(utc("2026-01-01T00:00:00Z")).unwrap(),
            Some(utc("2026-01-02T01:00:00Z"))
        );
    }

    #[test]
    fn validation() {
        let mut s = sched(Trigger::Cron { expr: "bad".into() });
        assert!(s.validate().is_err());
        s.trigger = Trigger::Interval {
            every_secs: 0,
            anchor: Utc::now(),
        };
        assert!(s.validate().is_err());
        s.trigger = Trigger::Once { at: Utc::now() };
        s.time_zone = "Mars/Olympus".into();
        assert!(matches!(s.validate(), Err(ScheduleError::TimeZone(_))));
    }
}
