//! The fixed texts of the secret rules: id, title, severity, description, remediation. Rule ids
//! are part of finding identities downstream (the image engine files a detection under its rule
//! id, path and line): never rename one.

use crate::{RuleText, Severity};

const ROTATE: &str = "Remove it from the file (and from every image layer and history that contains it), pass it at run time instead (secret store, environment, mounted file), and revoke or rotate it: anything that was published must be considered compromised.";

pub(crate) const PRIVATE_KEY: RuleText = RuleText {
    id: "private-key",
    title: "Private key (PEM)",
    severity: Severity::High,
    description: "A PEM-encoded private key (PKCS#1, PKCS#8, SEC1 or DSA) whose body decodes as a key structure. Anyone who can read the file can impersonate its owner or decrypt its traffic.",
    remediation: ROTATE,
};
pub(crate) const OPENSSH_KEY: RuleText = RuleText {
    id: "openssh-private-key",
    title: "OpenSSH private key",
    severity: Severity::High,
    description: "An OpenSSH private key (openssh-key-v1). Anyone who can read the file can log in wherever the matching public key is authorised.",
    remediation: ROTATE,
};
pub(crate) const PUTTY_KEY: RuleText = RuleText {
    id: "putty-private-key",
    title: "PuTTY private key",
    severity: Severity::High,
    description: "A PuTTY private key file (PPK). Anyone who can read it can log in wherever the matching public key is authorised.",
    remediation: ROTATE,
};
pub(crate) const PGP_KEY: RuleText = RuleText {
    id: "pgp-private-key",
    title: "OpenPGP private key",
    severity: Severity::High,
    description: "An ASCII-armored OpenPGP secret key (a PGP PRIVATE KEY BLOCK whose first packet is a secret-key packet). Anyone who can read it can sign as its owner and decrypt what was encrypted to them.",
    remediation: "Revoke the key (publish its revocation certificate), make a new one, and keep secret keys out of files that are shipped or served.",
};
pub(crate) const AWS_PAIR: RuleText = RuleText {
    id: "aws-access-key",
    title: "AWS access key with secret access key",
    severity: Severity::Critical,
    description: "An AWS access key id (AKIA, ASIA, ABIA, ACCA or A3T...) with a secret access key next to it: together they sign requests to AWS as the key's owner.",
    remediation: "Deactivate and delete the access key in IAM, check CloudTrail for its use, and give the workload an IAM role or injected credentials instead.",
};
pub(crate) const AWS_ID: RuleText = RuleText {
    id: "aws-access-key-id",
    title: "AWS access key id",
    severity: Severity::Medium,
    description: "An AWS access key id (AKIA, ASIA, ABIA, ACCA or A3T...). No secret access key was found near it; the id alone cannot sign requests but tells which account and user the key belongs to, and the secret is often stored elsewhere in the same image.",
    remediation: "Find where the matching secret access key is kept, deactivate the key if it was exposed, and use IAM roles or injected credentials.",
};
pub(crate) const TENCENT_PAIR: RuleText = RuleText {
    id: "tencent-cloud-secret-key",
    title: "Tencent Cloud API SecretKey",
    severity: Severity::Critical,
    description: "A Tencent Cloud API SecretKey (with its SecretId, or named as a Tencent Cloud secret key): it signs API calls as the key's owner.",
    remediation: "Disable and delete the key in CAM (API key management), review CloudAudit for its use, and use CAM roles or injected credentials instead.",
};
pub(crate) const TENCENT_ID: RuleText = RuleText {
    id: "tencent-cloud-secret-id",
    title: "Tencent Cloud API SecretId",
    severity: Severity::Medium,
    description: "A Tencent Cloud API SecretId (AKID...). No SecretKey was found near it; the id alone cannot sign calls but identifies the account's key.",
    remediation: "Find where the matching SecretKey is kept, disable the key if it was exposed, and use CAM roles or injected credentials.",
};
pub(crate) const ALIBABA_PAIR: RuleText = RuleText {
    id: "alibaba-cloud-access-key",
    title: "Alibaba Cloud AccessKey with secret",
    severity: Severity::Critical,
    description: "An Alibaba Cloud AccessKey id (LTAI...) with its AccessKey secret next to it: together they sign API calls as the key's owner.",
    remediation: "Disable and delete the AccessKey in RAM, review ActionTrail for its use, and use RAM roles or injected credentials instead.",
};
pub(crate) const ALIBABA_ID: RuleText = RuleText {
    id: "alibaba-cloud-access-key-id",
    title: "Alibaba Cloud AccessKey id",
    severity: Severity::Medium,
    description: "An Alibaba Cloud AccessKey id (LTAI...). No AccessKey secret was found near it.",
    remediation: "Find where the matching AccessKey secret is kept, disable the key if it was exposed, and use RAM roles or injected credentials.",
};
pub(crate) const GCP_SA: RuleText = RuleText {
    id: "gcp-service-account-key",
    title: "Google Cloud service account key",
    severity: Severity::Critical,
    description: "A Google Cloud service-account key file (JSON with type service_account and a private key): it authenticates as the service account.",
    remediation: "Delete the key in IAM (service account keys), check Cloud Audit Logs for its use, and use workload identity or attached service accounts instead of key files.",
};
pub(crate) const GOOGLE_API_KEY: RuleText = RuleText {
    id: "google-api-key",
    title: "Google API key",
    severity: Severity::Medium,
    description: "A Google API key (AIza...). Keys for browser APIs (Maps, Firebase) are meant to be seen but must be restricted to their referrers and APIs; an unrestricted key lets anyone spend the project's quota and reach every API enabled for it.",
    remediation: "Restrict the key (application and API restrictions) in the Google Cloud console, or delete and replace it if it should never have been published.",
};
pub(crate) const AZURE_STORAGE: RuleText = RuleText {
    id: "azure-storage-account-key",
    title: "Azure storage account key",
    severity: Severity::Critical,
    description: "An Azure storage connection string with an AccountKey: full access to the storage account's blobs, queues, tables and files.",
    remediation: "Rotate the storage account key, and use managed identities or short-lived SAS tokens instead of account keys.",
};
pub(crate) const AZURE_CLIENT: RuleText = RuleText {
    id: "azure-client-secret",
    title: "Azure AD application client secret",
    severity: Severity::Critical,
    description: "An Azure AD (Entra ID) application client secret: it authenticates as the application's service principal.",
    remediation: "Delete the secret from the app registration, review sign-in logs of the service principal, and use managed identities or certificates kept outside the image.",
};
pub(crate) const GITHUB: RuleText = RuleText {
    id: "github-token",
    title: "GitHub token",
    severity: Severity::High,
    description: "A GitHub token (personal access token, OAuth, app or refresh token): it acts on GitHub with its owner's permissions.",
    remediation: "Revoke the token in GitHub's settings (or through the credential revocation API) and pass tokens at run time.",
};
pub(crate) const GITLAB: RuleText = RuleText {
    id: "gitlab-pat",
    title: "GitLab personal access token",
    severity: Severity::High,
    description:
        "A GitLab personal access token (glpat-): it acts on GitLab with its owner's permissions.",
    remediation: "Revoke the token in GitLab's access token settings and pass tokens at run time.",
};
pub(crate) const SLACK: RuleText = RuleText {
    id: "slack-token",
    title: "Slack token",
    severity: Severity::High,
    description: "A Slack API token (bot xoxb, user xoxp, configuration xoxe, legacy workspace xoxa/xoxr, legacy xoxo/xoxs): it reads and posts in the workspace with the token's scopes.",
    remediation: "Revoke the token (auth.revoke or the app's settings) and pass tokens at run time.",
};
pub(crate) const STRIPE: RuleText = RuleText {
    id: "stripe-live-key",
    title: "Stripe live secret key",
    severity: Severity::Critical,
    description: "A Stripe live-mode secret or restricted key: it moves money and reads customer data of the account.",
    remediation: "Roll the key in the Stripe dashboard and keep keys out of images.",
};
pub(crate) const CONFIG_PASSWORD: RuleText = RuleText {
    id: "config-password",
    title: "Password in configuration file",
    severity: Severity::High,
    description: "A configuration file sets a password (or passphrase) to a literal value. Anyone who can read the image can read it.",
    remediation: "Read the password from the environment or a secret store at run time instead of writing it into the file, and change it.",
};
pub(crate) const CODE_CREDENTIAL: RuleText = RuleText {
    id: "hard-coded-credential",
    title: "Hard-coded credential in code",
    severity: Severity::High,
    description: "Program code assigns a literal to a password, secret, API key, access token or private key: everyone who can read the code (a script a web site serves, an application package) can read the credential.",
    remediation: "Keep credentials on the server side and out of shipped code; fetch short-lived tokens at run time instead, and change the credential.",
};

/// Every rule, for callers that name them (`rule_ids`).
pub(crate) const ALL: [&RuleText; 20] = [
    &PRIVATE_KEY,
    &OPENSSH_KEY,
    &PUTTY_KEY,
    &PGP_KEY,
    &AWS_PAIR,
    &AWS_ID,
    &TENCENT_PAIR,
    &TENCENT_ID,
    &ALIBABA_PAIR,
    &ALIBABA_ID,
    &GCP_SA,
    &GOOGLE_API_KEY,
    &AZURE_STORAGE,
    &AZURE_CLIENT,
    &GITHUB,
    &GITLAB,
    &SLACK,
    &STRIPE,
    &CONFIG_PASSWORD,
    &CODE_CREDENTIAL,
];
