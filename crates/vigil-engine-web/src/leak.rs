//! The `secret-leak` class's matching, and how every passive (and sensitive-file) evidence
//! hides secrets. Both come from `vigil-detect`, Vigil's one secret detector and masking policy:
//! this module only says what a found secret is called on a web page and where it is.
//!
//! [`secrets`] searches a response body: keys and tokens everywhere, and in JavaScript also
//! literals assigned to credential names (`password: '...'`, `apiKey = "..."`), which in prose
//! would be examples. Each value of a secret is one [`Secret`] with its byte range, so a pair
//! (an AWS key id and its secret access key) gives two. [`masked_response`] and
//! [`safe_evidence`] show a response with every secret the detector knows, credential-like
//! assignments and URL passwords masked ([`vigil_detect::redact`]).

use std::borrow::Cow;

use serde_json::Value;
use vigil_detect::{Context, Secrets};

use crate::http::{Request, Response};
use crate::passive::is_text;
use crate::Scan;

/// A credential found in a response.
#[derive(Debug, Clone, PartialEq)]
pub struct Secret {
    /// What it is (`AWS access key`, `private key`, ...): part of the finding's title and
    /// identity.
    pub kind: &'static str,
    /// The value as found (never put into evidence unmasked).
    pub value: String,
    /// Byte range of the value in the text.
    pub span: (usize, usize),
}

/// What a secret of a `vigil-detect` rule is called in `secret-leak` findings; `with_id` says
/// whether the secret came with its key id.
fn kind(rule: &str, with_id: bool) -> &'static str {
    match rule {
        "aws-access-key" | "aws-access-key-id" => "AWS access key",
        "private-key" | "openssh-private-key" | "putty-private-key" | "pgp-private-key" => {
            "private key"
        }
        "github-token" => "GitHub token",
        "gitlab-pat" => "GitLab token",
        "slack-token" => "Slack token",
        "stripe-live-key" => "Stripe live key",
        "google-api-key" => "Google API key",
        "gcp-service-account-key" => "Google Cloud service account key",
        "tencent-cloud-secret-id" => "Tencent Cloud SecretId",
        // A SecretKey found with its SecretId is filed under the id, as an id alone is.
        "tencent-cloud-secret-key" if with_id => "Tencent Cloud SecretId",
        "tencent-cloud-secret-key" => "Tencent Cloud SecretKey",
        "alibaba-cloud-access-key" | "alibaba-cloud-access-key-id" => "Alibaba Cloud AccessKey",
        "azure-storage-account-key" => "Azure storage account key",
        "azure-client-secret" => "Azure client secret",
        "hard-coded-credential" => "hard-coded credential",
        "config-password" => "password in configuration",
        _ => "secret",
    }
}

/// Credentials in `text`, in order. `script` adds literals assigned to credential names (only
/// trusted in JavaScript, where a literal is a value, not prose). Values overlapping one found
/// before are left out.
pub fn secrets(text: &str, script: bool) -> Vec<Secret> {
    let ctx = if script {
        Context::code()
    } else {
        Context::text()
    };
    let mut out: Vec<Secret> = Vec::new();
    for found in Secrets::shared().find(text.as_bytes(), ctx) {
        // A key id with its secret is two parts; a secret alone is one.
        let with_id = found.parts.len() > 1;
        let kind = kind(&found.detection.rule, with_id);
        for part in &found.parts {
            let (s, e) = (part.span.start, part.span.end);
            let Some(value) = text.get(s..e) else {
                continue;
            };
            if !out.iter().any(|x| x.span.0 < e && s < x.span.1) {
                out.push(Secret {
                    kind,
                    value: value.to_string(),
                    span: (s, e),
                });
            }
        }
    }
    out.sort_by_key(|s| s.span);
    out
}

/// The response as evidence may show it: every secret the detector knows (and
/// credential-looking assignments and URL passwords) masked in the body and the headers.
pub(crate) fn masked_response(resp: &Response) -> Response {
    let mut out = resp.clone();
    if is_text(resp) {
        out.body = vigil_detect::redact(&resp.text()).into_owned().into_bytes();
    }
    for (_, v) in out.headers.iter_mut() {
        if let Cow::Owned(m) = vigil_detect::redact(v) {
            *v = m;
        }
    }
    out
}

/// Evidence of an exchange with secrets masked (request, response and mark).
pub(crate) fn safe_evidence(
    scan: &Scan<'_>,
    req: &Request,
    resp: &Response,
    mark: Option<&str>,
) -> Value {
    let masked = masked_response(resp);
    let mark = mark.map(|m| vigil_detect::redact(m).into_owned());
    scan.evidence(req, &masked, mark.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::passive::test_response as resp;

    fn aws_id() -> String {
        ["AKIA", "Y3VIGILFIXTURE7Q"].concat()
    }

    #[test]
    fn every_detector_rule_has_a_name() {
        for id in vigil_detect::secrets::rule_ids() {
            assert_ne!(kind(id, false), "secret", "{id}");
        }
    }

    #[test]
    fn secret_matchers() {
        let secret = ["q9Xw", "Lr2VigilFixtureNotARealSecret0kT4mPz"].concat();
        let page = format!(
            "<pre>aws_access_key_id = {}\naws_secret_access_key = {secret}\n\n-----BEGIN {}-----\nMIIEowIBAAKCAQEAvigilfixturevigilfixturevigilfixture\nZmFrZQ==\n-----END RSA PRIVATE KEY-----</pre>",
            aws_id(),
            "RSA PRIVATE KEY"
        );
        let found = secrets(&page, false);
        let kinds: Vec<&str> = found.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            vec!["AWS access key", "AWS access key", "private key"],
            "{found:?}"
        );
        assert_eq!(found[1].value, secret);
        // A secret access key is 40 characters: the 41 of the test site's fixture are masked
        // in evidence (an assignment to a `secret` name) but are not the key's pair.
        let long = format!(
            "aws_access_key_id = {}\naws_secret_access_key = {secret}8\n",
            aws_id()
        );
        let kinds: Vec<&str> = secrets(&long, false).iter().map(|s| s.kind).collect();
        assert_eq!(kinds, vec!["AWS access key"]);
        assert!(!vigil_detect::redact(&long).contains(&secret));
        // Tokens with random-looking bodies (a repeated `a1B2` is a placeholder: see the safe
        // twins).
        let gh = ["ghp_", "q8Zr2LmX0pVt7KcW4nYsB1dF6hJ9kQ3wE5rT"].concat();
        assert_eq!(
            secrets(&format!("token: {gh}"), false)[0].kind,
            "GitHub token"
        );
        let slack = ["xoxb-", "123456789012-1234567890123-abcdefABCDEF1234"].concat();
        assert_eq!(secrets(&slack, false)[0].kind, "Slack token");
        let g = ["AIza", "SyA1234567890abcdefghijklmnopqrstuv"].concat();
        assert_eq!(
            secrets(&format!("key={g}&"), false)[0].kind,
            "Google API key"
        );
        let t = ["AKID", "z8krbsJ5yKBZQpn74WFkmLPx3qT9cVa2"].concat();
        assert_eq!(secrets(&t, false)[0].kind, "Tencent Cloud SecretId");
        // A SecretKey next to its SecretId is filed under the id; a SecretKey alone is its own.
        let k = "Gu5t9xGARNpq86cd98joQYCN3vW2kZ7H";
        let pair: Vec<&str> = secrets(&format!("SecretId={t}\nSecretKey=\"{k}\""), false)
            .iter()
            .map(|s| s.kind)
            .collect();
        assert_eq!(pair, vec!["Tencent Cloud SecretId"; 2]);
        assert_eq!(
            secrets(&format!("TENCENTCLOUD_SECRET_KEY={k}"), false)[0].kind,
            "Tencent Cloud SecretKey"
        );
        let ali = ["LTAI", "5tAbCdEf12345678"].concat();
        assert_eq!(secrets(&ali, false)[0].kind, "Alibaba Cloud AccessKey");
        let js = r#"var config = { apiKey: "k3y-9f8e7d6c5b", password: 'hunter2hunter2!' };"#;
        assert_eq!(secrets(js, true).len(), 2);
        assert!(secrets(js, false).is_empty());
        // A key written in a JavaScript string is a key too.
        let in_js = format!(
            "const k = \"-----BEGIN {}-----\\nMIIEowIBAAKCAQEAvigilfixturevigilfixturevigilfixture\\nZmFrZQ==\\n-----END RSA PRIVATE KEY-----\";",
            "RSA PRIVATE KEY"
        );
        assert_eq!(secrets(&in_js, false)[0].kind, "private key");
        // Safe twins.
        let placeholders = [
            // A repeated pattern has too little variety to be a real token.
            ["ghp_", &"a1B2".repeat(9)].concat(),
            ["AKID", &"aB3d".repeat(8)].concat(),
        ];
        for safe in [
            "AWS key ids start with AKIA followed by 16 characters.",
            "AKIAIOSFODNN7EXAMPLE is the documentation key",
            "Paste it after -----BEGIN RSA PRIVATE KEY----- here.",
            "ghp_short",
            "XAKIAY3VIGILFIXTURE7Q1",
            // AWS key ids are base 32: no 0, 1, 8 or 9.
            "AKIAY3VIGILFIXTURE81",
        ]
        .into_iter()
        .chain(placeholders.iter().map(String::as_str))
        {
            assert!(secrets(safe, false).is_empty(), "{safe}");
        }
        for safe in [
            r#"input.type = 'password'; var password = "";"#,
            r#"{password: 'your-password-here', apiKey: "<API_KEY>", secret: "${SECRET}"}"#,
            r#"var passwordField = "passwordInput";"#,
        ] {
            assert!(secrets(safe, true).is_empty(), "{safe}");
        }
    }

    #[test]
    fn masking() {
        let id = aws_id();
        let text = format!(
            "id={id} DB_PASSWORD=Sup3rS3cretDbPass! url=https://bob:hunter22@git.example/x"
        );
        let m = vigil_detect::redact(&text);
        assert!(!m.contains(&id) && m.contains("AKIA"), "{m}");
        assert!(
            !m.contains("Sup3rS3cretDbPass!") && m.contains("Sup3"),
            "{m}"
        );
        assert!(!m.contains("hunter22"), "{m}");
        assert_eq!(vigil_detect::redact("nothing here"), "nothing here");
        let r = masked_response(&resp(&[("Content-Type", "text/html")], &text));
        assert!(!r.text().contains(&id));
        let h = masked_response(&resp(&[("X-Debug", &format!("key {id}"))], ""));
        assert_eq!(h.header("x-debug"), Some("key AKIA****"));
    }
}
