//! Sensitive files by path and content, each with a safe twin, through the whole scanner.

use crate::common::*;
use vigil_detect::{Category, Detection, Severity};

fn sensitive(found: &[Detection]) -> Vec<&Detection> {
    found
        .iter()
        .filter(|d| d.category == Category::SensitiveFile)
        .collect()
}

#[test]
fn ssh_private_key_files_but_not_public_keys() {
    let s = secrets_only();
    let dir = scratch_dir("sshfile");
    let Some(key) = generated_key(
        &dir,
        "id_ed25519",
        "ssh-keygen",
        &["-q", "-t", "ed25519", "-N", "", "-f", "{out}"],
    ) else {
        return;
    };
    let public = std::fs::read_to_string(dir.join("id_ed25519.pub")).unwrap();
    for path in [
        "/root/.ssh/id_ed25519",
        "home/app/.ssh/id_rsa",
        "./home/x/.ssh/id_ecdsa",
    ] {
        let found = scan(&s, path, key.as_bytes());
        let hits = sensitive(&found);
        assert_eq!(hits.len(), 1, "{path}: {found:#?}");
        assert_eq!(hits[0].rule, "ssh-private-key-file");
        assert_eq!(hits[0].severity, Severity::High);
        assert_eq!(hits[0].line, Some(1));
        // The file-level finding replaces the generic key finding for the same file.
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_masked(&found, key.lines().nth(1).unwrap_or_default());
    }
    let Some(enc) = generated_key(
        &dir,
        "id_rsa",
        "ssh-keygen",
        &[
            "-q",
            "-t",
            "rsa",
            "-b",
            "2048",
            "-N",
            "pass-phrase",
            "-f",
            "{out}",
        ],
    ) else {
        return;
    };
    let found = scan(&s, "root/.ssh/id_rsa", enc.as_bytes());
    assert_eq!(sensitive(&found)[0].severity, Severity::Medium);
    // Safe twins: the public key, and a file of that name that holds no key.
    assert!(scan(&s, "root/.ssh/id_ed25519.pub", public.as_bytes()).is_empty());
    assert!(scan(
        &s,
        "root/.ssh/id_rsa",
        b"placeholder, key is mounted at run time\n"
    )
    .is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn non_empty_histories() {
    let s = secrets_only();
    for name in [
        ".bash_history",
        ".zsh_history",
        ".mysql_history",
        ".psql_history",
        ".python_history",
    ] {
        let path = format!("root/{name}");
        let found = scan(&s, &path, b"ls -la\ncd /srv\n");
        let hits = sensitive(&found);
        assert_eq!(hits.len(), 1, "{name}");
        assert_eq!(hits[0].rule, "shell-history");
        assert!(
            hits[0].evidence.contains("2 non-empty lines"),
            "{}",
            hits[0].evidence
        );
        assert!(!hits[0].evidence.contains("cd /srv"));
        // Safe twins: empty, blank-only.
        assert!(!s.wants(&path, 0));
        assert!(scan(&s, &path, b"").is_empty());
        assert!(scan(&s, &path, b"\n \n").is_empty());
    }
    // Secrets typed into a history are still reported as secrets.
    let mut rng = Rng::new(5);
    let token = format!("ghp_{}", rng.chars(ALNUM, 36));
    let found = scan(
        &s,
        "root/.bash_history",
        format!("git clone https://x:{token}@github.com/o/r\n").as_bytes(),
    );
    assert_eq!(rules_of(&found, Category::Secret), ["github-token"]);
    assert_eq!(rules_of(&found, Category::SensitiveFile), ["shell-history"]);
}

#[test]
fn credential_stores() {
    let s = secrets_only();
    let mut rng = Rng::new(9);
    let gh = format!("ghp_{}", rng.chars(ALNUM, 36));
    let aws_id = format!("AKIA{}", rng.chars(UPPER_B32, 16));
    let aws_secret = rng.chars(B64, 40);
    let cases: Vec<(&str, String, &str, u32, String)> = vec![
        ("root/.netrc", "machine ftp.example.com\n  login bob\n  password S3cr3t!xyz\n".into(), "netrc-password", 3, "S3cr3t!xyz".into()),
        ("home/u/.pgpass", "# comment\ndb.internal:5432:app:app:Pa55w0rd\\:x\n".into(), "pgpass-password", 2, "Pa55w0rd:x".into()),
        ("root/.git-credentials", format!("https://bob:{gh}@github.com\n"), "git-credentials", 1, gh.clone()),
        ("root/.docker/config.json", "{\n  \"auths\": {\n    \"registry.example.com\": {\n      \"auth\": \"Ym9iOnMzY3IzdC1wYXNz\"\n    }\n  }\n}\n".into(), "docker-config-auth", 4, "Ym9iOnMzY3IzdC1wYXNz".into()),
        ("root/.aws/credentials", format!("[default]\naws_access_key_id = {aws_id}\naws_secret_access_key = {aws_secret}\n"), "aws-credentials-file", 3, aws_secret.clone()),
    ];
    for (path, text, rule, line, secret) in &cases {
        let found = scan(&s, path, text.as_bytes());
        let hits = sensitive(&found);
        assert_eq!(hits.len(), 1, "{path}: {found:#?}");
        assert_eq!(hits[0].rule, *rule);
        assert_eq!(hits[0].line, Some(*line), "{path}");
        // Reported once, as a credential store (no duplicate secret findings).
        assert_eq!(found.len(), 1, "{path}: {found:#?}");
        assert_masked(&found, secret);
    }
    let safe = [
        ("root/.netrc", "machine ftp.example.com login anonymous\n"),
        ("home/u/.pgpass", "*:*:*:app:\n"),
        ("root/.git-credentials", "https://github.com\n"),
        (
            "root/.docker/config.json",
            "{\"auths\": {\"registry.example.com\": {}}, \"credsStore\": \"desktop\"}",
        ),
        ("root/.aws/credentials", "[default]\nregion = eu-west-1\n"),
        // Same contents under ordinary names: not credential stores.
        (
            "srv/app/config.json",
            "{\"auths\": {\"r.example.com\": {\"auth\": \"Ym9iOnMzY3IzdC1wYXNz\"}}}",
        ),
    ];
    for (path, text) in safe {
        let found = scan(&s, path, text.as_bytes());
        assert!(sensitive(&found).is_empty(), "{path}: {found:#?}");
    }
}

#[test]
fn shadow_entries_with_empty_or_weak_passwords() {
    let s = secrets_only();
    let shadow = "root::19000:0:99999:7:::\n\
daemon:*:19000:0:99999:7:::\n\
bin:!:19000:0:99999:7:::\n\
nobody:!!:19000::::::\n\
admin:$6$Zr7kLmNo$5hV0f1Yk9QHtR2x9F1o5Hn1d3V.4Ttq2u6aQJ1zvC1h5f0m8mKpS7vWc5Xk2oYtR8iZ3gD1yHqL0b6e4NnA9x/:19000:0:99999:7:::\n\
modern:$y$j9T$F5Jx5fExrKuJdG.9jR6ud/$L9E5Zf1vJwB8kR2Q0mX3pC7tY4nH6aD1sG8uK0lV2eI:19000:0:99999:7:::\n\
olddes:abJnggxhB/yWI:19000:0:99999:7:::\n\
oldmd5:$1$saltsalt$qjXMvbEw8oaL.CzflDugX/:19000:0:99999:7:::\n\
lockedmd5:!$1$saltsalt$qjXMvbEw8oaL.CzflDugX/:19000:0:99999:7:::\n";
    for path in ["/etc/shadow", "etc/shadow", "etc/shadow-"] {
        let found = scan(&s, path, shadow.as_bytes());
        let got: Vec<(String, Option<u32>, Severity)> = sensitive(&found)
            .iter()
            .map(|d| (d.rule.clone(), d.line, d.severity))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "shadow-empty-password".to_string(),
                    Some(1),
                    Severity::Critical
                ),
                ("shadow-weak-hash".to_string(), Some(7), Severity::High),
                ("shadow-weak-hash".to_string(), Some(8), Severity::High),
            ],
            "{path}"
        );
        for d in &found {
            assert!(
                !d.evidence.contains("abJngg") && !d.evidence.contains("qjXMvb"),
                "{}",
                d.evidence
            );
        }
    }
    // Safe twin: the same file elsewhere is not /etc/shadow.
    assert!(sensitive(&scan(&s, "srv/backup/shadow", shadow.as_bytes())).is_empty());
}
