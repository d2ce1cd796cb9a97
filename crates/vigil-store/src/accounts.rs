//! Accounts (a tenant: AppId and Uin as the cloud shows them) and their API keys, with the
//! secret half encrypted at rest.

use crate::{Result, Store, StoreError};
use rand::Rng;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use vigil_core::Millis;

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    /// Internal id; every owned row refers to it.
    pub id: i64,
    /// Cloud-style numeric AppId.
    pub app_id: i64,
    /// Cloud-style account identifier.
    pub uin: String,
    /// Label given at creation.
    pub name: String,
    /// Creation time.
    pub created_at: Millis,
}

/// A freshly created key pair; the only moment the secret is shown.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewKey {
    /// Public key id (`AKID...`).
    pub secret_id: String,
    /// Secret signing key.
    pub secret_key: String,
    /// Account AppId.
    pub app_id: i64,
    /// Account Uin.
    pub uin: String,
}

/// A key as listed (never with its secret).
#[derive(Debug, Clone, Serialize)]
pub struct ApiKeyInfo {
    /// Public key id.
    pub secret_id: String,
    /// Label.
    pub name: String,
    /// `active` or `revoked`.
    pub status: String,
    /// Owning account AppId.
    pub app_id: i64,
    /// Owning account Uin.
    pub uin: String,
    /// Creation time.
    pub created_at: Millis,
}

/// What the gateway needs to check a signature and scope the request.
#[derive(Debug, Clone)]
pub struct Credential {
    /// Owning account.
    pub account: Account,
    /// Decrypted secret key.
    pub secret_key: String,
    /// Whether the key may be used.
    pub active: bool,
}

fn random_alnum(len: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rngs::OsRng;
    (0..len)
        .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
        .collect()
}

fn account_from(row: &AnyRow) -> Result<Account> {
    Ok(Account {
        id: row.try_get("id")?,
        app_id: row.try_get("app_id")?,
        uin: row.try_get("uin")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// Create a new account with random AppId and Uin.
    pub async fn create_account(&self, name: &str) -> Result<Account> {
        for _ in 0..5 {
            let app_id: i64 = rand::rngs::OsRng.gen_range(1_300_000_000..1_399_999_999);
            let uin = rand::rngs::OsRng
                .gen_range(100_000_000_000i64..999_999_999_999)
                .to_string();
            let now = self.now();
            let res = sqlx::query(
                "INSERT INTO accounts (app_id, uin, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(app_id)
            .bind(&uin)
            .bind(name)
            .bind(now)
            .fetch_one(&self.pool)
            .await;
            match res {
                Ok(row) => {
                    return Ok(Account {
                        id: row.try_get("id")?,
                        app_id,
                        uin,
                        name: name.to_string(),
                        created_at: now,
                    })
                }
                Err(e) => match StoreError::conflict_or(e, "account") {
                    StoreError::Conflict(_) => continue,
                    other => return Err(other),
                },
            }
        }
        Err(StoreError::Conflict(
            "could not allocate a unique AppId".into(),
        ))
    }

    /// Create a key pair for an account.
    pub async fn create_key(&self, account: &Account, name: &str) -> Result<NewKey> {
        let secret_id = format!("AKID{}", random_alnum(32));
        let secret_key = random_alnum(32);
        let sealed = self.secrets.seal(&key_purpose(&secret_id), &secret_key)?;
        sqlx::query(
            "INSERT INTO api_keys (account_id, secret_id, secret_key_enc, name, status, created_at) VALUES ($1, $2, $3, $4, 'active', $5)",
        )
        .bind(account.id)
        .bind(&secret_id)
        .bind(&sealed)
        .bind(name)
        .bind(self.now())
        .execute(&self.pool)
        .await?;
        self.audit(Some(account.id), "cli", "keys.create", &secret_id)
            .await?;
        Ok(NewKey {
            secret_id,
            secret_key,
            app_id: account.app_id,
            uin: account.uin.clone(),
        })
    }

    /// Find an account by AppId.
    pub async fn account_by_app_id(&self, app_id: i64) -> Result<Account> {
        let row = sqlx::query("SELECT * FROM accounts WHERE app_id = $1")
            .bind(app_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        account_from(&row)
    }

    /// Look up a key by its public id, decrypting the secret.
    pub async fn credential(&self, secret_id: &str) -> Result<Option<Credential>> {
        let row = sqlx::query(
            "SELECT k.secret_key_enc, k.status, a.* FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.secret_id = $1",
        )
        .bind(secret_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let sealed: String = row.try_get("secret_key_enc")?;
        let status: String = row.try_get("status")?;
        Ok(Some(Credential {
            account: account_from(&row)?,
            secret_key: self.secrets.open(&key_purpose(secret_id), &sealed)?,
            active: status == "active",
        }))
    }

    /// List every key (without secrets).
    pub async fn list_keys(&self) -> Result<Vec<ApiKeyInfo>> {
        let rows = sqlx::query(
            "SELECT k.secret_id, k.name, k.status, k.created_at, a.app_id, a.uin FROM api_keys k JOIN accounts a ON a.id = k.account_id ORDER BY k.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ApiKeyInfo {
                    secret_id: r.try_get("secret_id")?,
                    name: r.try_get("name")?,
                    status: r.try_get("status")?,
                    app_id: r.try_get("app_id")?,
                    uin: r.try_get("uin")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Revoke a key; it can no longer sign requests.
    pub async fn revoke_key(&self, secret_id: &str) -> Result<()> {
        let res = sqlx::query(
            "UPDATE api_keys SET status = 'revoked', revoked_at = $1 WHERE secret_id = $2 AND status = 'active'",
        )
        .bind(self.now())
        .bind(secret_id)
        .execute(&self.pool)
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.audit(None, "cli", "keys.revoke", secret_id).await
    }
}

fn key_purpose(secret_id: &str) -> String {
    format!("api_key:{secret_id}")
}
