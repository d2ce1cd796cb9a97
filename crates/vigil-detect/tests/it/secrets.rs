//! Secret rules: each with realistic values assembled or generated at test time, a safe twin,
//! line numbers and masked evidence.

use crate::common::*;
use vigil_detect::{Category, Config, Detection, Limits, Scanner, Severity, Source};

fn secrets(s: &Scanner, path: &str, text: &str) -> Vec<Detection> {
    scan(s, path, text.as_bytes())
        .into_iter()
        .filter(|d| d.category == Category::Secret)
        .collect()
}

fn only<'a>(found: &'a [Detection], rule: &str) -> &'a Detection {
    let hits: Vec<&Detection> = found.iter().filter(|d| d.rule == rule).collect();
    assert_eq!(hits.len(), 1, "expected one {rule}, got {found:#?}");
    hits[0]
}

#[test]
fn private_keys_generated_by_openssl_and_ssh_keygen() {
    let s = secrets_only();
    let dir = scratch_dir("keys");
    let cases: [(&str, &str, &[&str], &str, Severity); 7] = [
        (
            "rsa_pkcs8.pem",
            "openssl",
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                "{out}",
            ],
            "private-key",
            Severity::High,
        ),
        (
            "ed25519.pem",
            "openssl",
            &["genpkey", "-algorithm", "ED25519", "-out", "{out}"],
            "private-key",
            Severity::High,
        ),
        (
            "ec.pem",
            "openssl",
            &[
                "ecparam",
                "-genkey",
                "-name",
                "prime256v1",
                "-noout",
                "-out",
                "{out}",
            ],
            "private-key",
            Severity::High,
        ),
        (
            "rsa_trad.pem",
            "openssl",
            &["genrsa", "-traditional", "-out", "{out}", "2048"],
            "private-key",
            Severity::High,
        ),
        (
            "enc.pem",
            "openssl",
            &[
                "genpkey",
                "-algorithm",
                "ED25519",
                "-aes256",
                "-pass",
                "pass:correct-horse",
                "-out",
                "{out}",
            ],
            "private-key",
            Severity::Medium,
        ),
        (
            "ssh_plain",
            "ssh-keygen",
            &["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", "{out}"],
            "openssh-private-key",
            Severity::High,
        ),
        (
            "ssh_enc",
            "ssh-keygen",
            &[
                "-q",
                "-t",
                "ed25519",
                "-N",
                "correct-horse",
                "-C",
                "test",
                "-f",
                "{out}",
            ],
            "openssh-private-key",
            Severity::Medium,
        ),
    ];
    for (name, cmd, args, rule, severity) in cases {
        let Some(key) = generated_key(&dir, name, cmd, args) else {
            return;
        };
        // Inside an ordinary file, after some lines.
        let text = format!("# deploy material\n\n{key}");
        let found = secrets(&s, "opt/app/deploy/key.txt", &text);
        let d = only(&found, rule);
        assert_eq!(d.severity, severity, "{name}");
        assert_eq!(d.line, Some(3), "{name}");
        assert_eq!(d.source, Source::Builtin);
        let body = key.lines().nth(1).unwrap_or_default();
        assert_masked(&found, body);
        assert!(d.evidence.contains("****"), "{}", d.evidence);
    }
    // Safe twins: public keys, placeholders, truncated and non-base64 bodies.
    let Some(_) = generated_key(
        &dir,
        "for_pub",
        "ssh-keygen",
        &["-q", "-t", "ed25519", "-N", "", "-f", "{out}"],
    ) else {
        return;
    };
    let public = std::fs::read_to_string(dir.join("for_pub.pub")).unwrap();
    let rsa = std::fs::read_to_string(dir.join("rsa_pkcs8.pem")).unwrap();
    let truncated: String = rsa.lines().take(10).collect::<Vec<_>>().join("\n");
    let pubkey_pem = run(
        "openssl",
        &[
            "pkey",
            "-in",
            &dir.join("rsa_pkcs8.pem").to_string_lossy(),
            "-pubout",
        ],
    )
    .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
    .unwrap_or_default();
    assert!(pubkey_pem.contains("PUBLIC KEY"));
    for safe in [
        public,
        pubkey_pem,
        truncated,
        "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n".to_string(),
        "-----BEGIN RSA PRIVATE KEY-----\n<paste your key here>\n-----END RSA PRIVATE KEY-----\n".to_string(),
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END OPENSSH PRIVATE KEY-----\n".to_string(),
        "if line.startswith('-----BEGIN PRIVATE KEY-----'): parse(line)\n".to_string(),
    ] {
        let found = secrets(&s, "opt/app/key.txt", &safe);
        assert!(found.is_empty(), "safe twin flagged: {found:#?}\n{safe}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn openpgp_secret_keys_generated_by_gpg() {
    let s = secrets_only();
    if !have("gpg") {
        assert!(!in_ci(), "gpg must be installed in CI");
        eprintln!("skipping: gpg not installed");
        return;
    }
    let home = scratch_dir("gpg");
    let gpg = |args: &[&str]| {
        let mut all = vec!["--homedir", home.to_str().unwrap_or_default(), "--batch"];
        all.extend_from_slice(args);
        run("gpg", &all).map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let pass = ["--pinentry-mode", "loopback", "--passphrase"];
    let mut cases = Vec::new();
    for (uid, algo, passphrase, severity) in [
        ("plain@example.com", "ed25519", "", Severity::High),
        (
            "enc@example.com",
            "rsa2048",
            "correct-horse",
            Severity::Medium,
        ),
    ] {
        let mut args = pass.to_vec();
        args.extend([passphrase, "--quick-gen-key", uid, algo, "default", "never"]);
        gpg(&args).expect("gpg key generation");
        let mut args = pass.to_vec();
        args.extend([passphrase, "--armor", "--export-secret-keys", uid]);
        let armored = gpg(&args).expect("gpg export");
        assert!(armored.contains("PGP PRIVATE KEY BLOCK"), "{armored}");
        cases.push((armored, severity));
    }
    for (armored, severity) in &cases {
        let found = secrets(&s, "backup/key.asc", &format!("# keys\n{armored}"));
        let d = only(&found, "pgp-private-key");
        assert_eq!((d.severity, d.line), (*severity, Some(2)));
        let body = armored.lines().find(|l| l.len() > 40).unwrap_or_default();
        assert_masked(&found, body);
    }
    // Safe twins: the public key, and a block whose body is not a secret-key packet.
    let public = gpg(&["--armor", "--export", "plain@example.com"]).unwrap_or_default();
    assert!(public.contains("PUBLIC KEY BLOCK"));
    let relabelled = public.replace("PUBLIC KEY BLOCK", "PRIVATE KEY BLOCK");
    for safe in [public, relabelled] {
        let found = secrets(&s, "backup/key.asc", &safe);
        assert!(found.is_empty(), "{safe}: {found:#?}");
    }
    // gpg started an agent for this home directory: stop it before removing the directory.
    let _ = run(
        "gpgconf",
        &[
            "--homedir",
            home.to_str().unwrap_or_default(),
            "--kill",
            "gpg-agent",
        ],
    );
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn keys_written_in_string_literals() {
    let s = secrets_only();
    let dir = scratch_dir("escaped");
    let Some(key) = generated_key(
        &dir,
        "k.pem",
        "openssl",
        &["genpkey", "-algorithm", "ED25519", "-out", "{out}"],
    ) else {
        return;
    };
    // JavaScript with the key's line breaks escaped, as a served script would carry it.
    let js = format!("const key = \"{}\";\n", key.trim_end().replace('\n', "\\n"));
    let found = secrets(&s, "app/static/config.js", &js);
    only(&found, "private-key");
    assert_masked(&found, key.lines().nth(1).unwrap_or_default());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn keys_in_binaries_are_found_but_tokens_in_binaries_are_not() {
    let s = secrets_only();
    let dir = scratch_dir("binkey");
    let Some(key) = generated_key(
        &dir,
        "k.pem",
        "openssl",
        &["genpkey", "-algorithm", "ED25519", "-out", "{out}"],
    ) else {
        return;
    };
    let mut rng = Rng::new(3);
    let token = format!("ghp_{}", rng.chars(ALNUM, 36));
    let mut bin = b"\x7fELF\x02\x01\x01\0".to_vec();
    bin.extend(rng.bytes(2000));
    bin.extend_from_slice(key.as_bytes());
    bin.push(0);
    bin.extend_from_slice(token.as_bytes());
    let found = scan(&s, "usr/lib/libthing.so", &bin);
    let d = only(&found, "private-key");
    assert_eq!(d.severity, Severity::Medium);
    assert!(
        d.evidence.contains("embedded in a binary"),
        "{}",
        d.evidence
    );
    assert!(found.iter().all(|d| d.rule != "github-token"), "{found:#?}");
    // The same token in text is found.
    let found = secrets(&s, "opt/app/run.sh", &format!("export GH={token}\n"));
    only(&found, "github-token");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn putty_keys() {
    let s = secrets_only();
    let mut rng = Rng::new(11);
    let b64 = |rng: &mut Rng, n: usize| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(rng.bytes(n))
    };
    let ppk = |encryption: &str, private: &str| {
        format!(
            "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: {encryption}\nComment: eddsa-key-20240101\nPublic-Lines: 2\n{}\n{}\nPrivate-Lines: 1\n{private}\nPrivate-MAC: {}\n",
            "AAAAC3NzaC1lZDI1NTE5AAAAI", "Ol3lV0KqY1mXz7fZpQ4Wn2b8cT6hR1sJ9dE5gU0aBcD=",
            "7f".repeat(32)
        )
    };
    let private = b64(&mut rng, 36);
    let found = secrets(&s, "home/u/key.ppk", &ppk("none", &private));
    let d = only(&found, "putty-private-key");
    assert_eq!(d.severity, Severity::High);
    assert_eq!(d.line, Some(1));
    assert_masked(&found, &private);
    let found = secrets(&s, "home/u/key.ppk", &ppk("aes256-cbc", &b64(&mut rng, 48)));
    assert_eq!(only(&found, "putty-private-key").severity, Severity::Medium);
    // Safe twins: a placeholder private line, a missing private part.
    assert!(secrets(&s, "k.ppk", &ppk("none", "<private key>")).is_empty());
    assert!(secrets(
        &s,
        "k.ppk",
        "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n"
    )
    .is_empty());
}

#[test]
fn aws_keys_pairs_ids_and_documentation_examples() {
    let s = secrets_only();
    let mut rng = Rng::new(21);
    let id = format!("AKIA{}", rng.chars(UPPER_B32, 16));
    let secret = rng.chars(B64, 40);
    let text = format!(
        "import boto3\n\nAWS_ACCESS_KEY_ID = \"{id}\"\nAWS_SECRET_ACCESS_KEY = \"{secret}\"\n"
    );
    let found = secrets(&s, "app/settings.py", &text);
    let d = only(&found, "aws-access-key");
    assert_eq!(d.severity, Severity::Critical);
    assert_eq!(d.line, Some(3));
    assert_masked(&found, &id);
    assert_masked(&found, &secret);
    // The id alone.
    let sts = format!("ASIA{}", rng.chars(UPPER_B32, 16));
    let found = secrets(
        &s,
        "app/notes.txt",
        &format!("key id {sts} (secret in vault)\n"),
    );
    assert_eq!(only(&found, "aws-access-key-id").severity, Severity::Medium);
    // Safe twins: AWS's documentation keys, ids inside longer words, wrong alphabets.
    for safe in [
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n".to_string(),
        format!("X{id}Y"),
        "AKIA0000111100001111".to_string(),
        "AKIAAAAAAAAAAAAAAAAA".to_string(),
    ] {
        let found = secrets(&s, "app/x.py", &safe);
        assert!(found.is_empty(), "{safe}: {found:#?}");
    }
}

#[test]
fn tencent_and_alibaba_cloud_keys() {
    let s = secrets_only();
    let mut rng = Rng::new(31);
    let sid = format!("AKID{}", rng.chars(ALNUM, 32));
    let skey = rng.chars(ALNUM, 32);
    let found = secrets(
        &s,
        "app/config.py",
        &format!("cred = credential.Credential(\n  SecretId=\"{sid}\",\n  SecretKey=\"{skey}\")\n"),
    );
    let d = only(&found, "tencent-cloud-secret-key");
    assert_eq!((d.severity, d.line), (Severity::Critical, Some(2)));
    assert_masked(&found, &sid);
    assert_masked(&found, &skey);
    let found = secrets(
        &s,
        "app/run.sh",
        &format!("export TENCENTCLOUD_SECRET_KEY={skey}\n"),
    );
    only(&found, "tencent-cloud-secret-key");
    let found = secrets(
        &s,
        "app/run.sh",
        &format!("# id only\nexport TENCENTCLOUD_SECRET_ID={sid}\n"),
    );
    assert_eq!(only(&found, "tencent-cloud-secret-id").line, Some(2));

    let lid = format!("LTAI{}", rng.chars(ALNUM, 20));
    let lsecret = rng.chars(ALNUM, 30);
    let found = secrets(
        &s,
        "app/oss.py",
        &format!("access_key_id = '{lid}'\naccess_key_secret = '{lsecret}'\n"),
    );
    assert_eq!(
        only(&found, "alibaba-cloud-access-key").severity,
        Severity::Critical
    );
    assert_masked(&found, &lid);
    assert_masked(&found, &lsecret);
    let found = secrets(&s, "app/oss.py", &format!("access_key_id = '{lid}'\n"));
    only(&found, "alibaba-cloud-access-key-id");

    for safe in [
        "SecretId: AKIDxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nSecretKey: ${TENCENT_SECRET_KEY}\n",
        "TENCENTCLOUD_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
        "AccessKeyId: LTAIxxxxxxxxxxxxxxxx\nAccessKeySecret: <your-secret>\n",
        "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE\n",
    ] {
        let found = secrets(&s, "docs/setup.yaml", safe);
        assert!(found.is_empty(), "{safe}: {found:#?}");
    }
}

#[test]
fn gcp_service_account_json() {
    let s = secrets_only();
    let dir = scratch_dir("gcp");
    let Some(key) = generated_key(
        &dir,
        "sa.pem",
        "openssl",
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "{out}",
        ],
    ) else {
        return;
    };
    let mut rng = Rng::new(41);
    let key_id = rng.chars("0123456789abcdef", 40);
    let json = |private_key: &str| {
        format!(
            "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"demo-project\",\n  \"private_key_id\": \"{key_id}\",\n  \"private_key\": \"{}\",\n  \"client_email\": \"svc@demo-project.iam.gserviceaccount.com\"\n}}\n",
            private_key.replace('\n', "\\n")
        )
    };
    let found = secrets(&s, "app/sa.json", &json(&key));
    let d = only(&found, "gcp-service-account-key");
    assert_eq!((d.severity, d.line), (Severity::Critical, Some(5)));
    assert_eq!(
        found.len(),
        1,
        "the embedded PEM is not reported twice: {found:#?}"
    );
    assert_masked(&found, &key_id);
    assert_masked(&found, key.lines().nth(1).unwrap_or_default());
    // Safe twins: a redacted key, and an authorised-user file without a key.
    let redacted = json("-----BEGIN PRIVATE KEY-----\n<redacted>\n-----END PRIVATE KEY-----\n");
    assert!(secrets(&s, "app/sa.json", &redacted).is_empty());
    let user = "{\"type\": \"authorized_user\", \"client_id\": \"123.apps.googleusercontent.com\"}";
    assert!(secrets(&s, "app/adc.json", user).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn azure_storage_keys_and_client_secrets() {
    use base64::Engine as _;
    let s = secrets_only();
    let mut rng = Rng::new(51);
    let account_key = base64::engine::general_purpose::STANDARD.encode(rng.bytes(64));
    assert_eq!(account_key.len(), 88);
    let conn = format!("DefaultEndpointsProtocol=https;AccountName=prodstore;AccountKey={account_key};EndpointSuffix=core.windows.net");
    let found = secrets(
        &s,
        "app/appsettings.json",
        &format!("{{\n  \"Storage\": \"{conn}\"\n}}\n"),
    );
    let d = only(&found, "azure-storage-account-key");
    assert_eq!((d.severity, d.line), (Severity::Critical, Some(2)));
    assert_masked(&found, &account_key);

    let client_secret = format!("{}8Q~{}", rng.chars(ALNUM, 3), rng.chars(ALNUM, 34));
    let found = secrets(
        &s,
        "app/deploy.sh",
        &format!("az login --service-principal -p '{client_secret}'\n"),
    );
    only(&found, "azure-client-secret");
    assert_masked(&found, &client_secret);
    let named = rng.chars(ALNUM, 40);
    let found = secrets(
        &s,
        "app/.env.prod",
        &format!("AZURE_CLIENT_SECRET={named}\n"),
    );
    only(&found, "azure-client-secret");

    for safe in [
        // Azurite's published development key.
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;".to_string(),
        "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=<your-account-key>;".to_string(),
        format!("AccountKey={}==", "A".repeat(86)),
        "AZURE_CLIENT_SECRET=${AZURE_CLIENT_SECRET}\n".to_string(),
    ] {
        let found = secrets(&s, "app/settings.env", &safe);
        assert!(found.is_empty(), "{safe}: {found:#?}");
    }
}

#[test]
fn saas_tokens_with_exact_lengths() {
    let s = secrets_only();
    let mut rng = Rng::new(61);
    let tokens = [
        ("github-token", format!("ghp_{}", rng.chars(ALNUM, 36))),
        ("github-token", format!("gho_{}", rng.chars(ALNUM, 36))),
        ("github-token", format!("ghu_{}", rng.chars(ALNUM, 36))),
        ("github-token", format!("ghs_{}", rng.chars(ALNUM, 36))),
        ("github-token", format!("ghr_{}", rng.chars(ALNUM, 36))),
        (
            "github-token",
            format!(
                "github_pat_{}_{}",
                rng.chars(ALNUM, 22),
                rng.chars(ALNUM, 59)
            ),
        ),
        ("gitlab-pat", format!("glpat-{}", rng.chars(ALNUM, 20))),
        (
            "slack-token",
            format!(
                "xoxb-{}-{}-{}",
                rng.chars("0123456789", 12),
                rng.chars("0123456789", 13),
                rng.chars(ALNUM, 24)
            ),
        ),
        (
            "slack-token",
            format!(
                "xoxp-{}-{}-{}-{}",
                rng.chars("0123456789", 12),
                rng.chars("0123456789", 12),
                rng.chars("0123456789", 13),
                rng.chars("0123456789abcdef", 32)
            ),
        ),
        (
            "stripe-live-key",
            format!("sk_live_{}", rng.chars(ALNUM, 99)),
        ),
        (
            "stripe-live-key",
            format!("rk_live_{}", rng.chars(ALNUM, 24)),
        ),
    ];
    for (rule, token) in &tokens {
        let text = format!(
            "#!/bin/sh\n# ci\ncurl -H \"Authorization: Bearer {token}\" https://api.example.com/\n"
        );
        let found = secrets(&s, "ci/run.sh", &text);
        let d = only(&found, rule);
        assert_eq!(d.line, Some(3), "{token}");
        assert_masked(&found, token);
    }
    let safe = [
        format!("ghp_{}", "x".repeat(36)),
        format!("ghp_{}", rng.chars(ALNUM, 35)),
        format!("my_ghp_{}_suffix", rng.chars(ALNUM, 36)),
        format!("github_pat_{}", rng.chars(ALNUM, 40)),
        format!("glpat-{}", rng.chars(ALNUM, 19)),
        "glpat-xxxxxxxxxxxxxxxxxxxx".to_string(),
        "SLACK_TOKEN=xoxb-your-token-here".to_string(),
        format!("sk_test_{}", rng.chars(ALNUM, 24)),
        format!("sk_live_{}", "0".repeat(24)),
    ];
    for text in safe {
        let found = secrets(&s, "ci/run.sh", &text);
        assert!(found.is_empty(), "{text}: {found:#?}");
    }
}

#[test]
fn passwords_in_configuration_files() {
    let s = secrets_only();
    let vulnerable = [
        (
            "app/.env",
            "APP_NAME=shop\nDB_PASSWORD=Tr0ub4dor&3\n",
            "Tr0ub4dor&3",
            2,
        ),
        (
            "app/.env.production",
            "export REDIS_PASSWORD='rEd1s-S3cret'\n",
            "rEd1s-S3cret",
            1,
        ),
        (
            "etc/app/config.yaml",
            "db:\n  user: app\n  password: \"s3cr3t-Pa55\"\n",
            "s3cr3t-Pa55",
            3,
        ),
        (
            "etc/app/config.yml",
            "smtp:\n  passwd: m4il-Rel4y\n",
            "m4il-Rel4y",
            2,
        ),
        (
            "app/application.properties",
            "spring.datasource.url=jdbc:mysql://db/app\nspring.datasource.password=k9QpL2mX\n",
            "k9QpL2mX",
            2,
        ),
        (
            "app/settings.json",
            "{\n  \"db\": {\n    \"password\": \"pA55w0rd!x\",\n    \"port\": 5432\n  }\n}\n",
            "pA55w0rd!x",
            3,
        ),
        (
            "etc/mysql/conf.d/client.cnf",
            "[client]\nuser = backup\npassword = hunter22!\n",
            "hunter22!",
            3,
        ),
        (
            "etc/app/app.ini",
            "[database]\nPASSWORD=Sup3r-S3cure\n",
            "Sup3r-S3cure",
            2,
        ),
        (
            "etc/app/app.conf",
            "ssl_key_passphrase \"long passphrase\"\nkey_passphrase = \"c0rrect-h0rse\"\n",
            "c0rrect-h0rse",
            2,
        ),
        (
            "etc/app/app.toml",
            "[db]\npassword = \"toml-S3cret\"\n",
            "toml-S3cret",
            2,
        ),
    ];
    for (path, text, secret, line) in vulnerable {
        let found = secrets(&s, path, text);
        let d = only(&found, "config-password");
        assert_eq!(d.line, Some(line), "{path}");
        assert_eq!(d.severity, Severity::High);
        assert_masked(&found, secret);
    }
    let safe = [
        ("app/.env", "DB_PASSWORD=${DB_PASSWORD}\nDB_PASS=\n"),
        ("app/.env", "DB_PASSWORD=changeme\n"),
        ("app/.env", "# DB_PASSWORD=Tr0ub4dor&3\n"),
        ("etc/app/config.yaml", "password: \"\"\npassword: xxx\npassword: <password>\npassword: !vault |\n"),
        ("etc/app/config.yaml", "password_file: /run/secrets/db\nmin_password_length: 12\npassword: {{ vault_db_password }}\n"),
        ("app/application.properties", "spring.datasource.password=${SPRING_DATASOURCE_PASSWORD}\nspring.datasource.password=ENC(G6N718UuyPE5bHyWKyuLQSm02auQPUtm)\n"),
        ("app/settings.json", "{\"password\": null, \"passwordPolicy\": \"strong\", \"password_hint\": \"The usual one\"}\n"),
        ("etc/nsswitch.conf", "passwd:         files systemd\n"),
        ("etc/app/app.ini", "password = example-password\n"),
        // Not a configuration file: the generic rule does not apply.
        ("app/main.py", "password = \"Tr0ub4dor&3\"\n"),
    ];
    for (path, text) in safe {
        let found = secrets(&s, path, text);
        assert!(found.is_empty(), "{path}: {text}\n{found:#?}");
    }
}

#[test]
fn secret_scanning_is_bounded() {
    let mut rng = Rng::new(71);
    let token = format!("ghp_{}", rng.chars(ALNUM, 36));
    let s = Scanner::new(Config {
        builtin_rules: false,
        limits: Limits {
            max_secret_bytes: 1024,
            ..Limits::default()
        },
        ..Config::default()
    })
    .unwrap();
    let early = format!("{token}\n{}", "filler line\n".repeat(300));
    assert_eq!(secrets(&s, "a.sh", &early).len(), 1);
    let late = format!("{}{token}\n", "filler line\n".repeat(300));
    assert!(secrets(&s, "a.sh", &late).is_empty(), "past the byte cap");
    // At most 50 matches per file.
    let many: String = (0..200)
        .map(|_| format!("ghp_{}\n", rng.chars(ALNUM, 36)))
        .collect();
    assert_eq!(
        secrets(&secrets_only(), "a.sh", &many).len(),
        vigil_detect::secrets::MAX_FINDINGS
    );
}
