//! Websites registered for scanning (CWS sites) and per-host ownership verifications. Every
//! query is scoped by account id.

use crate::{opt_str, Result, Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::Row;
use vigil_core::Millis;

/// A registered website.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// Site id.
    pub id: i64,
    /// Owning account.
    pub account_id: i64,
    /// Normalised URL (scheme, host, port, path).
    pub url: String,
    /// Host name or address, lower case, without port.
    pub host: String,
    /// Display name.
    pub name: String,
    /// 0 unknown, -1 no login, 1 login needed.
    pub need_login: i64,
    /// Decrypted login cookie.
    pub login_cookie: Option<String>,
    /// URL used to check the cookie.
    pub login_check_url: String,
    /// Keyword that proves the cookie works.
    pub login_check_kw: String,
    /// Path keywords the scanner must not visit.
    pub scan_disallow: String,
    /// User-Agent used against this site.
    pub user_agent: String,
    /// Creation time.
    pub created_at: Millis,
    /// Last change.
    pub updated_at: Millis,
}

/// Fields of a site to create.
#[derive(Debug, Clone)]
pub struct NewSite {
    /// Normalised URL.
    pub url: String,
    /// Host part.
    pub host: String,
    /// Display name.
    pub name: String,
    /// User-Agent.
    pub user_agent: String,
}

/// Changes to a site; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct SiteUpdate {
    /// New name.
    pub name: Option<String>,
    /// New login requirement.
    pub need_login: Option<i64>,
    /// New login cookie (stored encrypted).
    pub login_cookie: Option<String>,
    /// New cookie check URL.
    pub login_check_url: Option<String>,
    /// New cookie check keyword.
    pub login_check_kw: Option<String>,
    /// New disallowed path keywords.
    pub scan_disallow: Option<String>,
}

/// Which sites to list.
#[derive(Debug, Clone, Default)]
pub struct SiteFilter {
    /// Only these ids.
    pub ids: Option<Vec<i64>>,
    /// Only sites whose URL contains one of these strings.
    pub url_contains: Option<Vec<String>>,
    /// Only sites whose name contains one of these strings.
    pub name_contains: Option<Vec<String>>,
    /// Only sites on these hosts.
    pub hosts: Option<Vec<String>>,
    /// Rows to skip.
    pub offset: i64,
    /// Rows to return.
    pub limit: i64,
}

/// Ownership verification of one host by one account.
#[derive(Debug, Clone, PartialEq)]
pub struct Verification {
    /// Row id.
    pub id: i64,
    /// Owning account.
    pub account_id: i64,
    /// Host being proven.
    pub domain: String,
    /// Random token the site must publish.
    pub token: String,
    /// 0 unverified, 1 verified, 2 expired.
    pub verify_status: i64,
    /// How it was proven (`file`, `dns`, `scope`), empty when not yet.
    pub method: String,
    /// Token validity end.
    pub valid_to: Millis,
    /// Creation time.
    pub created_at: Millis,
    /// Last change.
    pub updated_at: Millis,
}

fn cookie_purpose(site_id: i64) -> String {
    format!("site_cookie:{site_id}")
}

impl Store {
    fn site_from(&self, row: &AnyRow) -> Result<Site> {
        let id: i64 = row.try_get("id")?;
        let login_cookie = match opt_str(row, "login_cookie_enc")? {
            Some(s) if !s.is_empty() => Some(self.secrets.open(&cookie_purpose(id), &s)?),
            _ => None,
        };
        Ok(Site {
            id,
            account_id: row.try_get("account_id")?,
            url: row.try_get("url")?,
            host: row.try_get("host")?,
            name: row.try_get("name")?,
            need_login: row.try_get("need_login")?,
            login_cookie,
            login_check_url: row.try_get("login_check_url")?,
            login_check_kw: row.try_get("login_check_kw")?,
            scan_disallow: row.try_get("scan_disallow")?,
            user_agent: row.try_get("user_agent")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }

    /// Create sites in one transaction; a URL the account already has is a conflict.
    pub async fn create_sites(&self, account_id: i64, sites: &[NewSite]) -> Result<Vec<Site>> {
        let mut tx = self.pool.begin().await?;
        let mut ids = Vec::new();
        let now = self.now();
        for s in sites {
            let row = sqlx::query(
                "INSERT INTO sites (account_id, url, host, name, user_agent, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            )
            .bind(account_id)
            .bind(&s.url)
            .bind(&s.host)
            .bind(&s.name)
            .bind(&s.user_agent)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StoreError::conflict_or(e, &s.url))?;
            ids.push(row.try_get::<i64, _>("id")?);
        }
        tx.commit().await?;
        self.list_sites(
            account_id,
            &SiteFilter {
                ids: Some(ids),
                limit: i64::MAX,
                ..Default::default()
            },
        )
        .await
        .map(|(_, s)| s)
    }

    /// List an account's sites with filters and paging; returns (total matching, page).
    pub async fn list_sites(&self, account_id: i64, f: &SiteFilter) -> Result<(i64, Vec<Site>)> {
        let mut clauses = vec!["account_id = $1".to_string()];
        let mut text_args: Vec<String> = Vec::new();
        let mut int_args: Vec<i64> = Vec::new();
        // Placeholders are numbered: $1 account, then ints, then texts.
        if let Some(ids) = &f.ids {
            if ids.is_empty() {
                return Ok((0, Vec::new()));
            }
            let base = 2 + int_args.len();
            let ph: Vec<String> = (0..ids.len()).map(|i| format!("${}", base + i)).collect();
            clauses.push(format!("id IN ({})", ph.join(", ")));
            int_args.extend(ids);
        }
        let mut text_groups: Vec<(String, &Vec<String>, bool)> = Vec::new();
        if let Some(v) = &f.url_contains {
            text_groups.push(("url".into(), v, true));
        }
        if let Some(v) = &f.name_contains {
            text_groups.push(("name".into(), v, true));
        }
        if let Some(v) = &f.hosts {
            text_groups.push(("host".into(), v, false));
        }
        for (col, values, contains) in text_groups {
            let mut ors = Vec::new();
            for v in values {
                let n = 2 + int_args.len() + text_args.len();
                if contains {
                    ors.push(format!("{col} LIKE ${n} ESCAPE '\\'"));
                    text_args.push(format!("%{}%", escape_like(v)));
                } else {
                    ors.push(format!("{col} = ${n}"));
                    text_args.push(v.to_lowercase());
                }
            }
            if ors.is_empty() {
                return Ok((0, Vec::new()));
            }
            clauses.push(format!("({})", ors.join(" OR ")));
        }
        let where_sql = clauses.join(" AND ");
        let count_sql = format!("SELECT COUNT(*) AS n FROM sites WHERE {where_sql}");
        let n_args = 1 + int_args.len() + text_args.len();
        let page_sql = format!(
            "SELECT * FROM sites WHERE {where_sql} ORDER BY id LIMIT ${} OFFSET ${}",
            n_args + 1,
            n_args + 2
        );
        let mut cq = sqlx::query(&count_sql).bind(account_id);
        let mut pq = sqlx::query(&page_sql).bind(account_id);
        for i in &int_args {
            cq = cq.bind(*i);
            pq = pq.bind(*i);
        }
        for t in &text_args {
            cq = cq.bind(t.clone());
            pq = pq.bind(t.clone());
        }
        let total: i64 = cq.fetch_one(&self.pool).await?.try_get("n")?;
        let rows = pq
            .bind(f.limit.clamp(0, i64::MAX / 2))
            .bind(f.offset.max(0))
            .fetch_all(&self.pool)
            .await?;
        let sites = rows
            .iter()
            .map(|r| self.site_from(r))
            .collect::<Result<_>>()?;
        Ok((total, sites))
    }

    /// Get one site of an account.
    pub async fn get_site(&self, account_id: i64, site_id: i64) -> Result<Site> {
        let row = sqlx::query("SELECT * FROM sites WHERE account_id = $1 AND id = $2")
            .bind(account_id)
            .bind(site_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.site_from(&row)
    }

    /// Delete sites; all ids must belong to the account, else nothing is deleted.
    pub async fn delete_sites(&self, account_id: i64, ids: &[i64]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for id in ids {
            let res = sqlx::query("DELETE FROM sites WHERE account_id = $1 AND id = $2")
                .bind(account_id)
                .bind(*id)
                .execute(&mut *tx)
                .await?;
            if res.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Apply changes to a site of the account.
    pub async fn update_site(&self, account_id: i64, site_id: i64, u: &SiteUpdate) -> Result<()> {
        let current = self.get_site(account_id, site_id).await?;
        let cookie = match &u.login_cookie {
            Some(c) if c.is_empty() => Some(String::new()),
            Some(c) => Some(self.secrets.seal(&cookie_purpose(site_id), c)?),
            None => None,
        };
        sqlx::query(
            "UPDATE sites SET name = $1, need_login = $2, login_check_url = $3, login_check_kw = $4, scan_disallow = $5, login_cookie_enc = COALESCE($6, login_cookie_enc), updated_at = $7 WHERE account_id = $8 AND id = $9",
        )
        .bind(u.name.clone().unwrap_or(current.name))
        .bind(u.need_login.unwrap_or(current.need_login))
        .bind(u.login_check_url.clone().unwrap_or(current.login_check_url))
        .bind(u.login_check_kw.clone().unwrap_or(current.login_check_kw))
        .bind(u.scan_disallow.clone().unwrap_or(current.scan_disallow))
        .bind(cookie)
        .bind(self.now())
        .bind(account_id)
        .bind(site_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Count an account's sites.
    pub async fn count_sites(&self, account_id: i64) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM sites WHERE account_id = $1")
            .bind(account_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    fn verification_from(row: &AnyRow) -> Result<Verification> {
        Ok(Verification {
            id: row.try_get("id")?,
            account_id: row.try_get("account_id")?,
            domain: row.try_get("domain")?,
            token: row.try_get("token")?,
            verify_status: row.try_get("verify_status")?,
            method: row.try_get("method")?,
            valid_to: row.try_get("valid_to")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }

    /// The account's verification record for a host, created with `new_token` if missing.
    pub async fn verification(
        &self,
        account_id: i64,
        domain: &str,
        new_token: &str,
        valid_to: Millis,
    ) -> Result<Verification> {
        let now = self.now();
        sqlx::query(
            "INSERT INTO site_verifications (account_id, domain, token, valid_to, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (account_id, domain) DO NOTHING",
        )
        .bind(account_id)
        .bind(domain)
        .bind(new_token)
        .bind(valid_to)
        .bind(now)
        .execute(&self.pool)
        .await?;
        let row =
            sqlx::query("SELECT * FROM site_verifications WHERE account_id = $1 AND domain = $2")
                .bind(account_id)
                .bind(domain)
                .fetch_one(&self.pool)
                .await?;
        Self::verification_from(&row)
    }

    /// Verification records of an account for several hosts (missing hosts are skipped).
    pub async fn verifications(
        &self,
        account_id: i64,
        domains: &[String],
    ) -> Result<Vec<Verification>> {
        if domains.is_empty() {
            return Ok(Vec::new());
        }
        let ph: Vec<String> = (0..domains.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT * FROM site_verifications WHERE account_id = $1 AND domain IN ({}) ORDER BY id",
            ph.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(account_id);
        for d in domains {
            q = q.bind(d.clone());
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(Self::verification_from).collect()
    }

    /// Set the verification status of a host for an account.
    pub async fn set_verified(
        &self,
        account_id: i64,
        domain: &str,
        status: i64,
        method: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE site_verifications SET verify_status = $1, method = $2, updated_at = $3 WHERE account_id = $4 AND domain = $5",
        )
        .bind(status)
        .bind(method)
        .bind(self.now())
        .bind(account_id)
        .bind(domain)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
