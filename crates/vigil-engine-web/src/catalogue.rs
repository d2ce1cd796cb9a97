//! What each class of web finding is: its name, severity, CWE, and the description, harm and
//! solution texts that reports and the CWS API show. Findings are built here, so that every
//! check fills the same fields and fingerprints stay stable: the fingerprint covers the class,
//! the site, the path (never parameter values), the parameter and where it is.

use serde_json::Value;
use url::Url;
use vigil_core::{Finding, Severity};

/// One class of web finding.
#[derive(Debug, Clone, Copy)]
pub struct Class {
    /// Finding kind (`xss`, `sqli`, ...).
    pub kind: &'static str,
    /// Short name.
    pub name: &'static str,
    /// Severity.
    pub severity: Severity,
    /// CWE.
    pub cwe: &'static str,
    /// What it is.
    pub describe: &'static str,
    /// What an attacker can do.
    pub harm: &'static str,
    /// How to fix it.
    pub solution: &'static str,
}

/// Every class the engine reports.
pub const CLASSES: &[Class] = &[
    Class { kind: "xss", name: "Reflected cross-site scripting", severity: Severity::High, cwe: "CWE-79",
        describe: "A request parameter is written into the page without encoding for the context it lands in, so markup or script sent in the parameter runs in the victim's browser.",
        harm: "An attacker who gets a victim to open a crafted link runs script in the site's origin: session theft, actions in the victim's name, phishing inside the real site.",
        solution: "Encode output for its context (HTML text, attribute, JavaScript string, URL), validate input, and send a Content-Security-Policy that forbids inline script." },
    Class { kind: "sqli", name: "SQL injection", severity: Severity::High, cwe: "CWE-89",
        describe: "A request parameter becomes part of an SQL statement: the database's behaviour changes with SQL syntax in the parameter.",
        harm: "Reading, changing or deleting any data the application's database account can reach, often the whole database; sometimes command execution on the database server.",
        solution: "Use parameterised queries or prepared statements for every value; never build SQL from strings. Give the application's database account least privilege." },
    Class { kind: "path-traversal", name: "Path traversal / local file inclusion", severity: Severity::High, cwe: "CWE-22",
        describe: "A parameter names a file, and `../` sequences in it reach files outside the intended directory.",
        harm: "Reading configuration files, credentials, source code and system files such as /etc/passwd.",
        solution: "Map user input to an allow-list of files, or resolve the path and refuse anything outside the base directory." },
    Class { kind: "cmd-injection", name: "OS command injection", severity: Severity::Critical, cwe: "CWE-78",
        describe: "A parameter is passed to a system shell: shell metacharacters in it run extra commands.",
        harm: "Running any command as the web server's user: full compromise of the server.",
        solution: "Do not call a shell with user input; pass arguments as a list to the program, and validate input against an allow-list." },
    Class { kind: "open-redirect", name: "Open redirect", severity: Severity::Medium, cwe: "CWE-601",
        describe: "A parameter sets the target of a redirect, and any external site is accepted.",
        harm: "Phishing links that start on the trusted site; stealing OAuth tokens passed through redirects.",
        solution: "Redirect only to relative paths or to an allow-list of hosts." },
    Class { kind: "crlf", name: "CRLF / HTTP header injection", severity: Severity::Medium, cwe: "CWE-113",
        describe: "A parameter is copied into a response header without removing CR and LF, so it can add headers (or a body) to the response.",
        harm: "Setting cookies in the victim's browser (session fixation), cache poisoning, cross-site scripting through an injected body.",
        solution: "Remove or refuse CR and LF in every value placed in a header; use the framework's header APIs, which reject them." },
    Class { kind: "ssti", name: "Server-side template injection", severity: Severity::Critical, cwe: "CWE-1336",
        describe: "A parameter is evaluated as a template by the server: template arithmetic in it is computed.",
        harm: "Template engines reach the host language: reading secrets and running commands on the server.",
        solution: "Never build templates from user input; pass input as template data, and sandbox templates that must be user-defined." },
    Class { kind: "xxe", name: "XML external entity injection", severity: Severity::High, cwe: "CWE-611",
        describe: "The XML parser resolves external entities in the request body, so a document can pull in local files.",
        harm: "Reading local files, server-side request forgery, denial of service.",
        solution: "Disable DTDs and external entity resolution in the XML parser." },
    Class { kind: "ssrf", name: "Server-side request forgery", severity: Severity::High, cwe: "CWE-918",
        describe: "A parameter holds a URL that the server fetches, and it fetches whatever it is given.",
        harm: "Reaching internal services and cloud metadata endpoints from the server's network position.",
        solution: "Fetch only allow-listed hosts, resolve and check addresses before connecting, and do not return fetched content verbatim." },
    Class { kind: "security-headers", name: "Missing security headers", severity: Severity::Low, cwe: "CWE-693",
        describe: "Responses lack headers that make browsers enforce protections (Content-Security-Policy, X-Content-Type-Options, frame protection, Strict-Transport-Security on HTTPS).",
        harm: "Cross-site scripting, clickjacking and MIME sniffing attacks are easier; HTTPS can be downgraded.",
        solution: "Send Content-Security-Policy, X-Content-Type-Options: nosniff, X-Frame-Options or CSP frame-ancestors, and HSTS on HTTPS." },
    Class { kind: "cookie-flags", name: "Cookie without security attributes", severity: Severity::Low, cwe: "CWE-614",
        describe: "A cookie is set without Secure (on HTTPS), HttpOnly or SameSite.",
        harm: "Session cookies readable by script, sent over plain HTTP, or sent with cross-site requests (CSRF).",
        solution: "Set Secure, HttpOnly and SameSite=Lax (or Strict) on session cookies." },
    Class { kind: "version-disclosure", name: "Server or framework version disclosed", severity: Severity::Info, cwe: "CWE-200",
        describe: "Response headers name the server or framework with its version.",
        harm: "Attackers pick exploits for the exact version.",
        solution: "Remove version numbers from Server, X-Powered-By and similar headers." },
    Class { kind: "stack-trace", name: "Stack trace or debug output", severity: Severity::Medium, cwe: "CWE-209",
        describe: "An error page shows a stack trace or debugging output.",
        harm: "Source paths, code, queries and library versions help attackers.",
        solution: "Show a generic error page and log details on the server only." },
    Class { kind: "directory-listing", name: "Directory listing", severity: Severity::Low, cwe: "CWE-548",
        describe: "The server lists the files of a directory.",
        harm: "Backups, configuration and private files become easy to find.",
        solution: "Turn off automatic directory indexes." },
    Class { kind: "sensitive-file", name: "Sensitive file exposed", severity: Severity::High, cwe: "CWE-538",
        describe: "A file that should never be served is readable (version-control metadata, environment files, backups, configuration, phpinfo).",
        harm: "Source code, credentials and keys are downloaded.",
        solution: "Remove the file from the web root and deny access to dot-files and backups in the server configuration." },
    Class { kind: "mixed-content", name: "Mixed content", severity: Severity::Low, cwe: "CWE-319",
        describe: "An HTTPS page loads scripts or other resources over plain HTTP.",
        harm: "A network attacker replaces the resource and runs script in the page.",
        solution: "Load every resource over HTTPS." },
    Class { kind: "cors", name: "CORS allows any origin with credentials", severity: Severity::High, cwe: "CWE-942",
        describe: "The server echoes any Origin in Access-Control-Allow-Origin and allows credentials.",
        harm: "Any web site the victim visits can read the victim's data from this site.",
        solution: "Allow only a fixed list of trusted origins; never reflect the Origin header with credentials." },
    Class { kind: "private-ip", name: "Private IP address disclosed", severity: Severity::Info, cwe: "CWE-200",
        describe: "A response contains an internal (RFC 1918) address.",
        harm: "Reveals the internal network layout.",
        solution: "Remove internal addresses from responses." },
    Class { kind: "secret-leak", name: "Secret in response", severity: Severity::High, cwe: "CWE-200",
        describe: "A response contains a credential: a cloud access key, a private key or a token.",
        harm: "The credential can be used directly against the service it belongs to.",
        solution: "Remove the secret from the page and rotate it." },
    Class { kind: "form-over-http", name: "Password form over HTTP", severity: Severity::Medium, cwe: "CWE-319",
        describe: "A form with a password field is served or submitted over plain HTTP.",
        harm: "Passwords cross the network in clear text.",
        solution: "Serve the whole site over HTTPS and post forms to https:// URLs." },
    Class { kind: "login-session", name: "Login session not valid", severity: Severity::Info, cwe: "CWE-613",
        describe: "The login cookie given for the site did not open a session (the check URL did not show the keyword), or the session ended during the scan.",
        harm: "Pages behind the login were not scanned.",
        solution: "Update the site's login cookie and its check URL and keyword." },
];

/// The class of a kind.
pub fn class(kind: &str) -> Option<&'static Class> {
    CLASSES.iter().find(|c| c.kind == kind)
}

/// CWS level of a severity: high, middle, low or notice.
pub fn cws_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "high",
        Severity::Medium => "middle",
        Severity::Low => "low",
        Severity::Info => "notice",
    }
}

/// A finding of `kind` at `url` (its query is dropped: values are not identity), for a
/// parameter (`name` at `loc`) or the whole page/site when `param` is `None`.
pub fn finding(
    kind: &str,
    method: &str,
    url: &Url,
    param: Option<(&str, &str)>,
    title_detail: &str,
    evidence: Value,
) -> Finding {
    let c = class(kind).unwrap_or(&CLASSES[0]);
    let mut at = url.clone();
    at.set_query(None);
    at.set_fragment(None);
    let title = match param {
        Some((loc, name)) => format!(
            "{} in {loc} parameter `{name}` of {} {}",
            c.name,
            method,
            at.path()
        ),
        None if title_detail.is_empty() => format!("{} at {}", c.name, at.path()),
        None => format!("{}: {title_detail}", c.name),
    };
    let mut identity = vec![method.to_string()];
    if let Some((loc, _)) = param {
        identity.push(loc.to_string());
    } else if !title_detail.is_empty() {
        identity.push(title_detail.to_string());
    }
    Finding {
        kind: c.kind.into(),
        severity: Some(c.severity),
        title,
        description: Some(format!(
            "{}\n\nImpact: {}\n\nFix: {}",
            c.describe, c.harm, c.solution
        )),
        host: url.host_str().map(str::to_string),
        port: url.port_or_known_default(),
        protocol: Some(url.scheme().to_string()),
        url: Some(at.to_string()),
        parameter: param.map(|(_, n)| n.to_string()),
        cwe: vec![c.cwe.into()],
        evidence,
        identity,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_ignore_values_and_evidence() {
        let a = finding(
            "xss",
            "GET",
            &Url::parse("http://h/s?q=1").unwrap(),
            Some(("query", "q")),
            "",
            Value::Null,
        );
        let b = finding(
            "xss",
            "GET",
            &Url::parse("http://h/s?q=<x>").unwrap(),
            Some(("query", "q")),
            "",
            serde_json::json!({"x": 1}),
        );
        let c = finding(
            "xss",
            "POST",
            &Url::parse("http://h/s").unwrap(),
            Some(("form", "q")),
            "",
            Value::Null,
        );
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
        assert_eq!(a.url.as_deref(), Some("http://h/s"));
        for c in CLASSES {
            assert!(c.cwe.starts_with("CWE-"), "{}", c.kind);
        }
    }
}
