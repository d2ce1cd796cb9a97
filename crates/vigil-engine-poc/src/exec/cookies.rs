//! The cookie jar of one template run on one target: cookies set by a response are sent
//! with the template's later requests to the same host (nuclei's default cookie reuse),
//! bounded in count and size; attributes other than the name and value are not modelled.

/// Most cookies kept.
const MAX_COOKIES: usize = 64;
/// Longest cookie (name and value) kept.
const MAX_COOKIE_LEN: usize = 4096;

/// Cookies by host.
#[derive(Debug, Default, Clone)]
pub struct Jar {
    cookies: Vec<(String, String, String)>,
}

impl Jar {
    /// Records the `Set-Cookie` values of a response from `host`.
    pub fn store<'a>(&mut self, host: &str, set_cookies: impl IntoIterator<Item = &'a str>) {
        for sc in set_cookies {
            let pair = sc.split(';').next().unwrap_or("").trim();
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let name = name.trim();
            if name.is_empty() || pair.len() > MAX_COOKIE_LEN {
                continue;
            }
            let expired = sc.split(';').any(|a| {
                let a = a.trim().to_ascii_lowercase();
                a == "max-age=0" || a.starts_with("max-age=-")
            });
            self.cookies.retain(|(h, n, _)| !(h == host && n == name));
            if !expired && self.cookies.len() < MAX_COOKIES {
                self.cookies
                    .push((host.to_string(), name.to_string(), value.trim().to_string()));
            }
        }
    }

    /// The `Cookie` header value for `host`, if any cookie is held for it.
    pub fn header(&self, host: &str) -> Option<String> {
        let parts: Vec<String> = self
            .cookies
            .iter()
            .filter(|(h, _, _)| h == host)
            .map(|(_, n, v)| format!("{n}={v}"))
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::Jar;

    #[test]
    fn cookies_are_kept_per_host_and_replaced() {
        let mut jar = Jar::default();
        jar.store("a", ["sid=1; Path=/; HttpOnly", "lang=en"]);
        jar.store("a", ["sid=2"]);
        jar.store("b", ["x=y"]);
        assert_eq!(jar.header("a").as_deref(), Some("lang=en; sid=2"));
        jar.store("a", ["lang=; Max-Age=0"]);
        assert_eq!(jar.header("a").as_deref(), Some("sid=2"));
        assert_eq!(jar.header("c"), None);
    }
}
