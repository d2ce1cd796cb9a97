//! Configuration risks of an image, from its config and its final filesystem view: it runs as
//! root, its `ENV` carries secrets, an SSH server is installed, SUID/SGID files that give a
//! root shell or are not among the distributions' usual ones, and world-writable files and
//! directories in system paths. (Secrets and sensitive files inside files are found by content
//! elsewhere; this module needs no file contents.)

use crate::{FileKind, Image};
use vigil_core::spec::image_evidence::RiskType;
use vigil_core::Severity;
use vigil_detect::mask;

/// One risk found in an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    /// What kind of risk (`config`, or `secret` for secrets in `ENV`).
    pub kind: RiskType,
    /// Stable rule id (`root-user`, `env-secret`, ...).
    pub rule: String,
    /// One-line title.
    pub title: String,
    /// How bad it is.
    pub severity: Severity,
    /// The file concerned, if any.
    pub file: Option<String>,
    /// The layer that wrote that file.
    pub layer: Option<usize>,
    /// Line in the file, if the risk is on one line.
    pub line: Option<u32>,
    /// What was seen, with any secret masked.
    pub masked: String,
    /// Why it matters.
    pub description: String,
    /// What to do.
    pub remediation: String,
}

/// SUID/SGID programs that hand out a shell or arbitrary file access (shells, interpreters,
/// editors and file tools; after GTFOBins' "SUID" list). A setuid copy of one is a root shell.
const SHELL_LIKE: &[&str] = &[
    "sh",
    "bash",
    "dash",
    "zsh",
    "ksh",
    "csh",
    "tcsh",
    "fish",
    "ash",
    "busybox",
    "python",
    "python2",
    "python3",
    "perl",
    "ruby",
    "php",
    "node",
    "lua",
    "tclsh",
    "expect",
    "awk",
    "gawk",
    "mawk",
    "nawk",
    "find",
    "vim",
    "vi",
    "vim.basic",
    "vim.tiny",
    "nano",
    "ed",
    "less",
    "more",
    "cp",
    "mv",
    "dd",
    "tar",
    "zip",
    "env",
    "nice",
    "tee",
    "xargs",
    "socat",
    "nc",
    "netcat",
    "ncat",
    "nmap",
    "gdb",
    "strace",
    "docker",
    "chmod",
    "chown",
    "install",
    "rsync",
    "git",
    "make",
    "openssl",
    "wget",
    "curl",
    "scp",
    "ssh",
];

/// SUID/SGID programs that distributions ship on purpose (Debian, Ubuntu, Alpine, Fedora);
/// not reported.
const USUAL_SETID: &[&str] = &[
    "passwd",
    "su",
    "mount",
    "umount",
    "chsh",
    "chfn",
    "gpasswd",
    "newgrp",
    "sudo",
    "sudoedit",
    "pkexec",
    "ping",
    "ping6",
    "ssh-keysign",
    "dbus-daemon-launch-helper",
    "unix_chkpwd",
    "expiry",
    "chage",
    "wall",
    "write",
    "write.ul",
    "crontab",
    "ssh-agent",
    "at",
    "fusermount",
    "fusermount3",
    "newuidmap",
    "newgidmap",
    "pam_timestamp_check",
    "polkit-agent-helper-1",
    "Xorg.wrap",
    "bsd-write",
    "dotlockfile",
    "mount.nfs",
    "mount.cifs",
    "pt_chown",
    "utempter",
    "userhelper",
    "staprun",
    "traceroute6.iputils",
    "chrome-sandbox",
    "bbsuid",
    "doas",
];

/// Top-level directories whose files the system trusts.
const SYSTEM_DIRS: &[&str] = &[
    "/bin", "/sbin", "/usr", "/lib", "/lib32", "/lib64", "/etc", "/boot",
];

/// Environment variable name parts that mark a secret.
const SECRET_ENV_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASS",
    "PWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "ACCESS_KEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
    "AUTH",
];

/// Values that are clearly not secrets.
const PLACEHOLDERS: &[&str] = &[
    "",
    "changeme",
    "change_me",
    "password",
    "secret",
    "xxx",
    "xxxx",
    "none",
    "null",
    "example",
    "todo",
    "test",
    "default",
    "<password>",
    "<secret>",
    "*",
    "true",
    "false",
    "0",
    "1",
];

fn in_system_dir(path: &str) -> bool {
    SYSTEM_DIRS
        .iter()
        .any(|d| path == *d || path.strip_prefix(d).is_some_and(|r| r.starts_with('/')))
}

/// Whether the image's user is root (no `User`, `root`, `0`, with any group).
pub fn runs_as_root(image: &Image) -> bool {
    let user = image.config.config.user.as_deref().unwrap_or("").trim();
    let name = user.split(':').next().unwrap_or("");
    name.is_empty() || name == "root" || name == "0"
}

fn env_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    // Names such as PATH or PWD-like shell state are not secrets.
    if matches!(
        upper.as_str(),
        "PWD" | "OLDPWD" | "PASS_MAX_DAYS" | "PASS_MIN_DAYS"
    ) {
        return false;
    }
    upper
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|part| {
            SECRET_ENV_WORDS.contains(&part)
                || ["PASSWORD", "PASSWD", "SECRET", "TOKEN"]
                    .iter()
                    .any(|w| part.ends_with(w))
        })
        || SECRET_ENV_WORDS
            .iter()
            .filter(|w| w.contains('_'))
            .any(|w| upper.contains(w))
}

fn placeholder(value: &str) -> bool {
    let v = value.trim().trim_matches(|c| c == '"' || c == '\'');
    PLACEHOLDERS.contains(&v.to_ascii_lowercase().as_str())
        || v.starts_with('$')
        || v.starts_with('/')
        || v.chars().all(|c| c == 'x' || c == 'X' || c == '*')
}

/// Every configuration risk of the image, in a stable order.
pub fn config_risks(image: &Image) -> Vec<Risk> {
    let mut out = Vec::new();
    let risk = |rule: &str,
                title: String,
                severity,
                file: Option<(&str, usize)>,
                masked: String,
                description: &str,
                remediation: &str| Risk {
        kind: RiskType::Config,
        rule: rule.to_string(),
        title,
        severity,
        file: file.map(|(f, _)| f.to_string()),
        layer: file.map(|(_, l)| l),
        line: None,
        masked,
        description: description.to_string(),
        remediation: remediation.to_string(),
    };

    // A `dir:` source has no image config (no digest): nothing to say about its user.
    if !image.config_digest.is_empty() && runs_as_root(image) {
        let user = image.config.config.user.clone().unwrap_or_default();
        out.push(risk(
            "root-user",
            "Container runs as root".into(),
            Severity::Medium,
            None,
            if user.is_empty() { "User not set".into() } else { format!("User {user}") },
            "The image config sets no unprivileged user, so its processes run as root in the container; an escape or a writable host mount gives root on the host.",
            "Add a USER instruction with an unprivileged user (and numeric UID) to the Dockerfile.",
        ));
    }

    for entry in image.config.config.env.iter().flatten() {
        let Some((name, value)) = entry.split_once('=') else {
            continue;
        };
        if env_secret_name(name) && !placeholder(value) {
            let mut r = risk(
                "env-secret",
                format!("Secret in environment variable {name}"),
                Severity::High,
                None,
                format!("{name}={}", mask(value)),
                "The image config's ENV carries a credential; anyone who can pull the image reads it with `docker inspect`.",
                "Remove the secret from ENV and pass it at run time (secrets manager, mounted file or orchestrator secret); rotate it.",
            );
            r.kind = RiskType::Secret;
            out.push(r);
        }
    }

    for sshd in ["/usr/sbin/sshd", "/usr/sbin/dropbear", "/sbin/sshd"] {
        if let Some(m) = image.fs.entries.get(sshd) {
            if matches!(m.kind, FileKind::File | FileKind::Hardlink { .. }) {
                out.push(risk(
                    "ssh-server",
                    "SSH server installed in the image".into(),
                    Severity::Medium,
                    Some((sshd, m.layer)),
                    sshd.into(),
                    "An SSH daemon in a container adds a remote login surface and long-lived credentials; containers are entered with the runtime's exec instead.",
                    "Remove the SSH server package from the image.",
                ));
                break;
            }
        }
    }

    for (path, m) in &image.fs.entries {
        let setid = m.mode & 0o6000;
        let file_like = matches!(m.kind, FileKind::File | FileKind::Hardlink { .. });
        if file_like && setid != 0 {
            let name = path.rsplit('/').next().unwrap_or("");
            let base = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
            let bits = match setid {
                0o6000 => "SUID+SGID",
                0o4000 => "SUID",
                _ => "SGID",
            };
            let owner = if setid & 0o4000 != 0 {
                format!("uid {}", m.uid)
            } else {
                format!("gid {}", m.gid)
            };
            let shown = format!("{path} mode {:04o} {owner}", m.mode);
            if SHELL_LIKE.contains(&name) || SHELL_LIKE.contains(&base) {
                out.push(risk(
                    "setid-shell",
                    format!("{bits} shell or interpreter {path}"),
                    Severity::High,
                    Some((path, m.layer)),
                    shown,
                    "A setuid/setgid shell, interpreter or file tool gives any user of the container the owner's privileges (a root shell when owned by root).",
                    "Remove the setuid/setgid bit (chmod u-s,g-s) or the file.",
                ));
            } else if !USUAL_SETID.contains(&name) {
                out.push(risk(
                    "setid-file",
                    format!("Unusual {bits} file {path}"),
                    Severity::Medium,
                    Some((path, m.layer)),
                    shown,
                    "A setuid/setgid program that distributions do not ship as such; any flaw in it is a privilege escalation.",
                    "Check why the file needs the bit; remove it (chmod u-s,g-s) if it does not.",
                ));
            }
        }
        let world_writable = m.mode & 0o002 != 0;
        if world_writable && in_system_dir(path) {
            match m.kind {
                FileKind::File | FileKind::Hardlink { .. } => out.push(risk(
                    "world-writable-file",
                    format!("World-writable file {path}"),
                    Severity::Medium,
                    Some((path, m.layer)),
                    format!("{path} mode {:04o}", m.mode),
                    "Any user in the container can change a file in a system path, e.g. to plant code that root runs later.",
                    "chmod o-w the file.",
                )),
                FileKind::Dir if m.mode & 0o1000 == 0 => out.push(risk(
                    "world-writable-dir",
                    format!("World-writable directory without sticky bit {path}"),
                    Severity::Medium,
                    Some((path, m.layer)),
                    format!("{path} mode {:04o}", m.mode),
                    "Any user can replace or delete other users' files in a system directory.",
                    "chmod o-w the directory (or set the sticky bit for shared temporary directories).",
                )),
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names() {
        for n in [
            "DB_PASSWORD",
            "MYSQL_ROOT_PASSWORD",
            "API_KEY",
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "DBPASSWORD",
        ] {
            assert!(env_secret_name(n), "{n}");
        }
        for n in [
            "PATH",
            "PWD",
            "HOME",
            "LANG",
            "PASSENGER_VERSION",
            "TOKENIZERS_PARALLELISM_X",
        ] {
            assert!(!env_secret_name(n), "{n}");
        }
        assert!(placeholder("${DB_PASSWORD}"));
        assert!(placeholder("changeme"));
        assert!(placeholder("/run/secrets/db"));
        assert!(!placeholder("S3cr3t-value-42"));
    }

    #[test]
    fn system_dirs() {
        assert!(in_system_dir("/usr/bin/x"));
        assert!(in_system_dir("/etc"));
        assert!(!in_system_dir("/usrlocal/x"));
        assert!(!in_system_dir("/tmp/x"));
        assert!(!in_system_dir("/home/u/x"));
    }
}
