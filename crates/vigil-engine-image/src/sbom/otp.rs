//! Erlang/OTP applications: the application resource file `ebin/NAME.app` that every OTP
//! application (the standard library's under `lib/erlang/lib/NAME-VSN/`, and rebar3 or mix
//! releases' under `lib/`) ships: an Erlang term `{application, NAME, [..., {vsn, "VSN"},
//! ...]}.`. Only the application name and its `vsn` are read; the term is scanned, never
//! evaluated, and comments (`%` to the end of the line) are skipped.

use super::analyzer::{Analyzer, Input, Output};

/// Whether `path` is an application resource file (`…/ebin/NAME.app`).
pub fn is_app_path(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let (Some(file), Some(dir)) = (parts.next(), parts.next()) else {
        return false;
    };
    dir == "ebin" && file.len() > 4 && file.ends_with(".app")
}

/// Removes `%` comments outside strings and atoms in quotes.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut in_atom = false;
    let mut escaped = false;
    let mut comment = false;
    for c in text.chars() {
        if comment {
            if c == '\n' {
                comment = false;
                out.push(c);
            }
            continue;
        }
        if escaped {
            escaped = false;
            out.push(c);
            continue;
        }
        match c {
            '\\' if in_string || in_atom => escaped = true,
            '"' if !in_atom => in_string = !in_string,
            '\'' if !in_string => in_atom = !in_atom,
            '%' if !in_string && !in_atom => {
                comment = true;
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// An atom at the start of `s` (bare or in single quotes), and the rest.
fn atom(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    if let Some(q) = s.strip_prefix('\'') {
        let end = q.find('\'')?;
        return Some((q[..end].to_string(), &q[end + 1..]));
    }
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '@'))
        .unwrap_or(s.len());
    (end > 0 && s.starts_with(|c: char| c.is_ascii_lowercase()))
        .then(|| (s[..end].to_string(), &s[end..]))
}

/// The (name, vsn) of an application resource file.
pub fn parse(data: &[u8]) -> Option<(String, String)> {
    let text = strip_comments(&String::from_utf8_lossy(data));
    let rest = text.trim_start().strip_prefix('{')?;
    let (tag, rest) = atom(rest)?;
    if tag != "application" {
        return None;
    }
    let rest = rest.trim_start().strip_prefix(',')?;
    let (name, rest) = atom(rest)?;
    // `{vsn, "1.2.3"}` anywhere in the property list (keys are atoms, so `vsn` cannot hide in a
    // string without a quote before it).
    let mut search = rest;
    while let Some(at) = search.find("vsn") {
        let before = search[..at].trim_end();
        let after = &search[at + 3..];
        search = after;
        if !before.ends_with('{') {
            continue;
        }
        let Some(value) = after.trim_start().strip_prefix(',') else {
            continue;
        };
        let value = value.trim_start().strip_prefix('"')?;
        let end = value.find('"')?;
        let vsn = value[..end].trim();
        if vsn.is_empty() || vsn.len() > 128 || vsn.chars().any(char::is_control) {
            return None;
        }
        return Some((name, vsn.to_string()));
    }
    None
}

/// Erlang/OTP application resource files ([`is_app_path`]).
pub(crate) struct AppFile;

impl Analyzer for AppFile {
    fn name(&self) -> &'static str {
        "otp"
    }
    fn wants(&self, path: &str) -> bool {
        is_app_path(path)
    }
    fn cap(&self) -> u64 {
        super::MAX_PACKAGE_FILE_BYTES
    }
    fn read(&self, file: &Input<'_>, out: &mut Output<'_>) {
        if let Some((name, version)) = parse(file.data) {
            let purl = super::purl("otp", &[], &name, &version, &[]);
            out.package(name, version, "otp", purl);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_resource_files() {
        let asn1 = br#"%% This is an -*- erlang -*- file.
%% %CopyrightBegin%
{application, asn1,
 [{description, "The Erlang ASN1 compiler version 5.0.21"},
  {vsn, "5.0.21"},
  {modules, [asn1rt_nif]},
  {registered, [asn1_ns, asn1db]},
  {env, []},
  {applications, [kernel, stdlib]},
  {runtime_dependencies, ["stdlib-3.13","kernel-7.0","erts-11.0"]}
  ]}.
"#;
        assert_eq!(parse(asn1), Some(("asn1".into(), "5.0.21".into())));
        let quoted = b"{application,'my_app',[{description,\"has vsn in it % not a comment\"},\n%{vsn,\"0.0.1\"}\n{vsn,\"2.1.0-rc1\"}]}.";
        assert_eq!(parse(quoted), Some(("my_app".into(), "2.1.0-rc1".into())));
        assert_eq!(
            parse(b"{application, x, [{description, \"no version\"}]}."),
            None
        );
        assert_eq!(parse(b"{module, x, [{vsn, \"1\"}]}."), None);
        assert_eq!(parse(b""), None);
        assert!(is_app_path("/usr/lib/erlang/lib/asn1-5.0.21/ebin/asn1.app"));
        assert!(!is_app_path("/usr/lib/erlang/lib/asn1-5.0.21/ebin/.app"));
        assert!(!is_app_path("/srv/app/config.app"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = parse(&data);
            let mut framed = b"{application, a, [{vsn, ".to_vec();
            framed.extend_from_slice(&data);
            let _ = parse(&framed);
        }
    }
}
