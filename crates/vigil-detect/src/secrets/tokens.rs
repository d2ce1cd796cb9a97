//! SaaS tokens recognised by their prefix and exact shape, each checked for enough variety
//! after the prefix (`ghp_AAAA...` and `...EXAMPLE...` are placeholders):
//!
//! * GitHub: `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` with 36 alphanumerics; fine-grained
//!   `github_pat_` with 22 alphanumerics, `_` and 59 more (gitleaks `github-*`).
//! * GitLab personal access tokens `glpat-`.
//! * Slack: `xoxb` (bot), `xoxp` (user), `xoxe` (configuration), `xoxa`/`xoxr` (legacy
//!   workspace), `xoxo`/`xoxs` (legacy), then one to three numeric groups and the token body
//!   (the union of gitleaks' `slack-*` rules).
//! * Stripe live secret and restricted keys `sk_live_`, `rk_live_`.
//! * Google API keys `AIza` with 35 characters of `[A-Za-z0-9_-]` (gitleaks `gcp-api-key`).

use regex::bytes::Regex;

use super::rules::{GITHUB, GITLAB, GOOGLE_API_KEY, SLACK, STRIPE};
use super::{contains_ci, lossy, part, re, Out};
use crate::text::{low_entropy, mask};
use crate::RuleText;

/// The token patterns.
#[derive(Debug)]
pub(super) struct Tokens {
    github: Regex,
    github_pat: Regex,
    gitlab: Regex,
    slack: Regex,
    stripe: Regex,
    google: Regex,
}

impl Tokens {
    pub(super) fn new() -> Tokens {
        Tokens {
            github: re(r"(?-u)(?:^|[^A-Za-z0-9_])(gh[pousr]_[A-Za-z0-9]{36})(?:[^A-Za-z0-9_]|$)"),
            github_pat: re(
                r"(?-u)(?:^|[^A-Za-z0-9_])(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?:[^A-Za-z0-9_]|$)",
            ),
            gitlab: re(
                r"(?-u)(?:^|[^A-Za-z0-9_\-])(glpat-[A-Za-z0-9_\-]{20,200}(?:\.[0-9a-z]{2}\.[0-9a-z]{9})?)(?:[^A-Za-z0-9_\-.]|\.(?:[^0-9a-z]|$)|$)",
            ),
            slack: re(
                r"(?-u)(?:^|[^A-Za-z0-9])(xox[abeoprs]-(?:[0-9]+-){1,3}[0-9A-Za-z][0-9A-Za-z\-]{7,119})(?:[^A-Za-z0-9\-]|$)",
            ),
            stripe: re(
                r"(?-u)(?:^|[^A-Za-z0-9_])((?:sk|rk)_live_[0-9A-Za-z]{24,99})(?:[^A-Za-z0-9_]|$)",
            ),
            google: re(r"(?-u)(?:^|[^A-Za-z0-9_\-])(AIza[0-9A-Za-z_\-]{35})(?:[^A-Za-z0-9_\-]|$)"),
        }
    }

    pub(super) fn scan(&self, data: &[u8], out: &mut Out) {
        let groups: [(&Regex, &RuleText, usize); 6] = [
            (&self.github, &GITHUB, 4),
            (&self.github_pat, &GITHUB, 11),
            (&self.gitlab, &GITLAB, 6),
            (&self.slack, &SLACK, 5),
            (&self.stripe, &STRIPE, 8),
            (&self.google, &GOOGLE_API_KEY, 4),
        ];
        for (regex, rule, prefix_len) in groups {
            for caps in regex.captures_iter(data) {
                if out.full() {
                    return;
                }
                let Some(t) = caps.get(1) else { continue };
                let body = t.as_bytes().get(prefix_len..).unwrap_or_default();
                if low_entropy(body)
                    || contains_ci(body, b"EXAMPLE")
                    || contains_ci(body, b"XXXXXX")
                {
                    continue;
                }
                let token = lossy(t.as_bytes());
                let kind = token_kind(&token);
                let evidence = format!("{kind} {}", mask(&token));
                out.push(
                    rule,
                    data,
                    t.start(),
                    evidence,
                    vec![part("token", t.range())],
                );
            }
        }
    }
}

fn token_kind(token: &str) -> &'static str {
    match token.get(..4) {
        Some("ghp_") => "personal access token",
        Some("gho_") => "OAuth access token",
        Some("ghu_") => "app user-to-server token",
        Some("ghs_") => "app server-to-server token",
        Some("ghr_") => "refresh token",
        Some("gith") => "fine-grained personal access token",
        Some("glpa") => "personal access token",
        Some("xoxb") => "bot token",
        Some("xoxa") => "app token",
        Some("xoxp") => "user token",
        Some("xoxr") => "refresh token",
        Some("xoxs") => "session token",
        Some("xoxe") => "configuration token",
        Some("xoxo") => "legacy token",
        Some("sk_l") => "live secret key",
        Some("rk_l") => "live restricted key",
        Some("AIza") => "API key",
        _ => "token",
    }
}

#[cfg(test)]
mod tests {
    use super::super::rules_in as rules;

    #[test]
    fn slack_token_families() {
        for token in [
            [
                "xoxb-",
                "263594206564-2343594206574-FGqddMF8t08v8N7Oq4i57vs1MBS",
            ]
            .concat(),
            [
                "xoxp-",
                "283316862324-298911817009-298923149681-44f585044dace54f5701618e97cd1c0b",
            ]
            .concat(),
            [
                "xoxe-",
                "4726837507825-4848681849303-4856614048758-e0b1f3d4cb371f92260edb0d9444d206",
            ]
            .concat(),
            ["xoxa-", "2-u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8dKLzd"].concat(),
            ["xoxs-", "416843729158-132049654-5609968301-e708ba56e1"].concat(),
            ["xoxb-", "263594206564-FGqddMF8t08v8N7Oq4i57vs1"].concat(),
        ] {
            assert_eq!(
                rules(&format!("token={token}\n")),
                vec!["slack-token"],
                "{token}"
            );
        }
        // Safe twins: placeholders and documentation forms.
        for safe in [
            "xoxb-your-token-here",
            "xoxb-xxxxxxxxx-xxxxxxxxxx-xxxxxxxxxxxx",
            "xoxp-1234-1234-1234-4ddb",
            "https://example.com/xoxo-party-2018",
        ] {
            assert!(rules(safe).is_empty(), "{safe}");
        }
    }

    #[test]
    fn google_api_keys() {
        let key = ["AIza", "SyA1234567890abcdefghijklmnopqrstuv"].concat();
        assert_eq!(rules(&format!("key={key}&")), vec!["google-api-key"]);
        // Safe twins: too short, inside a longer token, no variety.
        assert!(rules(&key[..38]).is_empty());
        assert!(rules(&format!("{key}x")).is_empty());
        assert!(rules(&format!("AIza{}", "a".repeat(35))).is_empty());
    }
}
