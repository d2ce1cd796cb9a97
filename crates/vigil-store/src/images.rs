//! Container images and the registries they come from, per account: the image inventory
//! (local images by their id, the config digest `sha256:<hex>`; registry images one row per
//! registry, repository and tag) and image registries with their password sealed at rest.
//! Image scans are scan groups (see `image_scans.rs`); deleting images or a registry asks
//! the unfinished scans of those images to stop.

use crate::groups::corrupt;
use crate::{opt_i64, Result, Store, StoreError};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row;
use vigil_core::Millis;

/// Longest text kept in an image's free-text fields (name, history, author, ...).
const MAX_TEXT: usize = 64 * 1024;
/// Most repository digests kept per image.
const MAX_REPO_DIGESTS: usize = 64;

/// Whether `s` is an image id as Vigil stores it: `sha256:` and 64 lower-case hex digits.
pub fn is_image_id(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn clip(s: &str) -> String {
    if s.len() <= MAX_TEXT {
        return s.to_string();
    }
    s[..s.floor_char_boundary(MAX_TEXT)].to_string()
}

/// An image to record (see [`Store::upsert_image`]). Text fields left empty (and a zero
/// size, no creation time, no repository digests) keep what an earlier record said.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewImage {
    /// Image id: the config digest, `sha256:<64 hex>`.
    pub image_id: String,
    /// Manifest digest (`sha256:...`), or empty when unknown (a `docker save` archive).
    pub digest: String,
    /// Where the image is read from: `docker-archive:/path/x.tar`, `oci:/path`,
    /// `registry:HOST/REPO:TAG`.
    pub source: String,
    /// `repo:tag` as shown to users (`<none>:<none>` when untagged).
    pub name: String,
    /// The registry the image was listed from; `None` for local images.
    pub registry_id: Option<i64>,
    /// Repository path inside the registry (`library/nginx`); registry images only.
    pub repository: String,
    /// Tag; registry images only.
    pub tag: String,
    /// Namespace (the repository path before its last component); registry images only.
    pub namespace: String,
    /// Size in bytes (config and layers as stored).
    pub size: i64,
    /// Operating system, e.g. `linux`, or a distribution such as `alpine:3.19`.
    pub os_name: String,
    /// CPU architecture, e.g. `amd64`.
    pub architecture: String,
    /// Author from the image config.
    pub author: String,
    /// Build history (one `created_by` per line).
    pub history: String,
    /// Registry manifest digests the image is known by (`repo@sha256:...`).
    pub repo_digests: Vec<String>,
    /// When the image was built (the config's `created`).
    pub created_at: Option<Millis>,
}

impl NewImage {
    /// Why the image cannot be recorded, if it cannot: the id must be `sha256:<64 hex>`, the
    /// source non-empty, a registry image needs its repository and tag.
    pub fn validate(&self) -> std::result::Result<(), String> {
        if !is_image_id(&self.image_id) {
            return Err(format!(
                "image id `{}` is not sha256:<64 lower-case hex digits>",
                self.image_id.chars().take(80).collect::<String>()
            ));
        }
        if !self.digest.is_empty() && !is_image_id(&self.digest) {
            return Err("the manifest digest is not sha256:<64 hex>".into());
        }
        if self.source.trim().is_empty() {
            return Err("the image source is empty".into());
        }
        if self.size < 0 {
            return Err("the image size is negative".into());
        }
        if self.registry_id.is_some() && (self.repository.is_empty() || self.tag.is_empty()) {
            return Err("a registry image needs its repository and tag".into());
        }
        Ok(())
    }

    /// The key that identifies the row within its registry (or among local images).
    fn ref_key(&self) -> String {
        match self.registry_id {
            Some(_) => format!("{}:{}", self.repository, self.tag),
            None => self.image_id.clone(),
        }
    }
}

/// An image as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRow {
    /// Row id (TCSS's registry image `Id`).
    pub id: i64,
    /// Owning account.
    pub account_id: i64,
    /// Registry the image was listed from; `None` for local images.
    pub registry_id: Option<i64>,
    /// Image id (config digest).
    pub image_id: String,
    /// Manifest digest, or empty.
    pub digest: String,
    /// Source reference the engine reads.
    pub source: String,
    /// `repo:tag`.
    pub name: String,
    /// Repository path (registry images).
    pub repository: String,
    /// Tag (registry images).
    pub tag: String,
    /// Namespace (registry images).
    pub namespace: String,
    /// Size in bytes.
    pub size: i64,
    /// Operating system.
    pub os_name: String,
    /// Architecture.
    pub architecture: String,
    /// Author.
    pub author: String,
    /// Build history.
    pub history: String,
    /// Repository digests.
    pub repo_digests: Vec<String>,
    /// Build time.
    pub image_created_at: Option<Millis>,
    /// First recorded.
    pub first_seen: Millis,
    /// Last recorded (import or sync).
    pub last_seen: Millis,
    /// Queue task of the latest scan created for the image.
    pub last_task_id: Option<i64>,
}

fn image_from(row: &AnyRow) -> Result<ImageRow> {
    let registry: i64 = row.try_get("registry_id")?;
    let digests: String = row.try_get("repo_digests")?;
    Ok(ImageRow {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        registry_id: (registry != 0).then_some(registry),
        image_id: row.try_get("image_id")?,
        digest: row.try_get("digest")?,
        source: row.try_get("source")?,
        name: row.try_get("name")?,
        repository: row.try_get("repository")?,
        tag: row.try_get("tag")?,
        namespace: row.try_get("namespace")?,
        size: row.try_get("size")?,
        os_name: row.try_get("os_name")?,
        architecture: row.try_get("architecture")?,
        author: row.try_get("author")?,
        history: row.try_get("history")?,
        repo_digests: serde_json::from_str(&digests).map_err(|e| corrupt("repo digests", e))?,
        image_created_at: opt_i64(row, "image_created_at")?,
        first_seen: row.try_get("first_seen")?,
        last_seen: row.try_get("last_seen")?,
        last_task_id: opt_i64(row, "last_task_id")?,
    })
}

/// Which images to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageSet {
    /// Local images (imported, not listed from a registry).
    Local,
    /// Images of every registry of the account.
    Registry,
    /// Images of one registry.
    OfRegistry(i64),
    /// Every image of the account.
    All,
}

/// A registry to save. The password is sealed before it is stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewRegistry {
    /// Display name, unique per account.
    pub name: String,
    /// `scheme://host[:port]`.
    pub url: String,
    /// `harbor`, `quay`, `jfrog`, `aws`, `azure`, `other-tcr`, ...
    pub registry_type: String,
    /// User name (may be empty: anonymous).
    pub username: String,
    /// Password (sealed at rest, never listed).
    pub password: String,
    /// `public` or `private`.
    pub net_type: String,
    /// Registry API version as given.
    pub registry_version: String,
    /// Region as given.
    pub registry_region: String,
    /// Pull rate limit as given.
    pub speed_limit: i64,
    /// Whether the operator asked to skip certificate verification.
    pub insecure: bool,
    /// Connectivity-detection hosts as given (`[{"Quuid", "Uuid"}]`).
    pub conn_detect: Value,
    /// Registry instance id (TCR).
    pub instance_id: String,
    /// Scan new images after a sync.
    pub need_scan: bool,
    /// 0 full sync, 1 incremental.
    pub sync_mode: i64,
}

/// A registry as stored; the password stays sealed (see [`Store::registry_password`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryRow {
    /// Registry id.
    pub id: i64,
    /// Owning account.
    pub account_id: i64,
    /// Display name.
    pub name: String,
    /// URL.
    pub url: String,
    /// Registry type.
    pub registry_type: String,
    /// User name.
    pub username: String,
    /// Whether a password is stored.
    pub has_password: bool,
    /// Network type.
    pub net_type: String,
    /// API version.
    pub registry_version: String,
    /// Region.
    pub registry_region: String,
    /// Rate limit.
    pub speed_limit: i64,
    /// Skip certificate verification was asked for.
    pub insecure: bool,
    /// Connectivity-detection hosts.
    pub conn_detect: Value,
    /// Instance id.
    pub instance_id: String,
    /// Scan new images after a sync.
    pub need_scan: bool,
    /// 0 full sync, 1 incremental.
    pub sync_mode: i64,
    /// Last connectivity error, empty when the last check passed.
    pub health_error: String,
    /// Time of the last connectivity check.
    pub health_checked_at: Option<Millis>,
    /// `doing`, `success`, `failed`, or empty before the first sync.
    pub sync_status: String,
    /// Why the last sync failed.
    pub sync_error: String,
    /// Notes of the last sync (truncation, unreadable tags).
    pub sync_message: String,
    /// Last successful sync.
    pub synced_at: Option<Millis>,
    /// Creation time.
    pub created_at: Millis,
    /// Last change.
    pub updated_at: Millis,
}

fn registry_from(row: &AnyRow) -> Result<RegistryRow> {
    let conn: String = row.try_get("conn_detect")?;
    let password: String = row.try_get("password_enc")?;
    Ok(RegistryRow {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        name: row.try_get("name")?,
        url: row.try_get("url")?,
        registry_type: row.try_get("registry_type")?,
        username: row.try_get("username")?,
        has_password: !password.is_empty(),
        net_type: row.try_get("net_type")?,
        registry_version: row.try_get("registry_version")?,
        registry_region: row.try_get("registry_region")?,
        speed_limit: row.try_get("speed_limit")?,
        insecure: row.try_get::<i64, _>("insecure")? != 0,
        conn_detect: serde_json::from_str(&conn).map_err(|e| corrupt("conn_detect", e))?,
        instance_id: row.try_get("instance_id")?,
        need_scan: row.try_get::<i64, _>("need_scan")? != 0,
        sync_mode: row.try_get("sync_mode")?,
        health_error: row.try_get("health_error")?,
        health_checked_at: opt_i64(row, "health_checked_at")?,
        sync_status: row.try_get("sync_status")?,
        sync_error: row.try_get("sync_error")?,
        sync_message: row.try_get("sync_message")?,
        synced_at: opt_i64(row, "synced_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// A sealed secret and the purpose it is bound to, for an engine to open with the master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedSecret {
    /// The ciphertext as stored.
    pub sealed: String,
    /// Associated data it was sealed with.
    pub purpose: String,
}

/// The purpose a registry password is sealed for: bound to its account and registry.
fn password_purpose(account_id: i64, id: i64) -> String {
    format!("image_registry_password:{account_id}:{id}")
}

impl Store {
    /// Record an image of an account, or refresh it: local images are identified by their
    /// image id, registry images by (registry, repository, tag) — a re-pushed tag keeps its
    /// row and takes the new image id. First-seen time stays; last-seen becomes now. Used by
    /// registry syncs and by `vigil image import REF`. Refuses (with [`StoreError::Config`])
    /// an image that fails [`NewImage::validate`].
    pub async fn upsert_image(&self, account_id: i64, img: &NewImage) -> Result<ImageRow> {
        img.validate()
            .map_err(|e| StoreError::Config(format!("invalid image: {e}")))?;
        let now = self.now();
        let digests: Vec<&String> = img.repo_digests.iter().take(MAX_REPO_DIGESTS).collect();
        let digests = serde_json::to_string(&digests).map_err(|e| corrupt("repo digests", e))?;
        let keep = |c: &str| {
            format!("{c} = CASE WHEN excluded.{c} <> '' THEN excluded.{c} ELSE images.{c} END")
        };
        let text_cols = [
            "digest",
            "source",
            "name",
            "repository",
            "tag",
            "namespace",
            "os_name",
            "architecture",
            "author",
            "history",
        ];
        let sets: Vec<String> = text_cols.iter().map(|c| keep(c)).collect();
        let sql = format!(
            "INSERT INTO images (account_id, registry_id, ref_key, image_id, digest, source, name, repository, tag, \
             namespace, size, os_name, architecture, author, history, repo_digests, image_created_at, first_seen, last_seen) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18) \
             ON CONFLICT (account_id, registry_id, ref_key) DO UPDATE SET image_id = excluded.image_id, {}, \
             size = CASE WHEN excluded.size > 0 THEN excluded.size ELSE images.size END, \
             repo_digests = CASE WHEN excluded.repo_digests <> '[]' THEN excluded.repo_digests ELSE images.repo_digests END, \
             image_created_at = COALESCE(excluded.image_created_at, images.image_created_at), \
             last_task_id = CASE WHEN images.image_id = excluded.image_id THEN images.last_task_id ELSE NULL END, \
             last_seen = excluded.last_seen RETURNING *",
            sets.join(", ")
        );
        let row = sqlx::query(&sql)
            .bind(account_id)
            .bind(img.registry_id.unwrap_or(0))
            .bind(img.ref_key())
            .bind(&img.image_id)
            .bind(&img.digest)
            .bind(clip(&img.source))
            .bind(clip(&img.name))
            .bind(clip(&img.repository))
            .bind(clip(&img.tag))
            .bind(clip(&img.namespace))
            .bind(img.size)
            .bind(clip(&img.os_name))
            .bind(clip(&img.architecture))
            .bind(clip(&img.author))
            .bind(clip(&img.history))
            .bind(digests)
            .bind(img.created_at)
            .bind(now)
            .fetch_one(&self.pool)
            .await?;
        image_from(&row)
    }

    /// Images of an account, oldest first.
    pub async fn images(&self, account_id: i64, set: ImageSet) -> Result<Vec<ImageRow>> {
        let (cond, reg) = match set {
            ImageSet::Local => ("AND registry_id = 0", None),
            ImageSet::Registry => ("AND registry_id <> 0", None),
            ImageSet::OfRegistry(r) => ("AND registry_id = $2", Some(r)),
            ImageSet::All => ("", None),
        };
        let sql = format!("SELECT * FROM images WHERE account_id = $1 {cond} ORDER BY id");
        let mut q = sqlx::query(&sql).bind(account_id);
        if let Some(r) = reg {
            q = q.bind(r);
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(image_from)
            .collect()
    }

    /// An image of an account by row id.
    pub async fn image(&self, account_id: i64, id: i64) -> Result<ImageRow> {
        let row = sqlx::query("SELECT * FROM images WHERE account_id = $1 AND id = $2")
            .bind(account_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        image_from(&row)
    }

    /// The local image of an account with this image id, if recorded.
    pub async fn local_image(&self, account_id: i64, image_id: &str) -> Result<Option<ImageRow>> {
        let row = sqlx::query(
            "SELECT * FROM images WHERE account_id = $1 AND registry_id = 0 AND ref_key = $2",
        )
        .bind(account_id)
        .bind(image_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(image_from).transpose()
    }

    /// Delete images of an account by row id; their unfinished scan tasks are asked to stop.
    /// Scan history and findings stay. Returns how many rows went.
    pub async fn delete_images(&self, account_id: i64, ids: &[i64]) -> Result<u64> {
        let mut n = 0;
        for id in ids {
            let res = sqlx::query("DELETE FROM images WHERE account_id = $1 AND id = $2")
                .bind(account_id)
                .bind(*id)
                .execute(&self.pool)
                .await?;
            n += res.rows_affected();
        }
        self.stop_image_tasks(account_id, ids).await?;
        Ok(n)
    }

    /// Save a registry; its password is sealed for this account and registry. A name the
    /// account already uses is a [`StoreError::Conflict`].
    pub async fn create_registry(&self, account_id: i64, r: &NewRegistry) -> Result<RegistryRow> {
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "INSERT INTO image_registries (account_id, name, url, registry_type, username, net_type, registry_version, \
             registry_region, speed_limit, insecure, conn_detect, instance_id, need_scan, sync_mode, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id",
        )
        .bind(account_id)
        .bind(&r.name)
        .bind(&r.url)
        .bind(&r.registry_type)
        .bind(&r.username)
        .bind(&r.net_type)
        .bind(&r.registry_version)
        .bind(&r.registry_region)
        .bind(r.speed_limit)
        .bind(i64::from(r.insecure))
        .bind(r.conn_detect.to_string())
        .bind(&r.instance_id)
        .bind(i64::from(r.need_scan))
        .bind(r.sync_mode)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::conflict_or(e, &r.name))?;
        let id: i64 = row.try_get("id")?;
        let sealed = self.seal_password(account_id, id, &r.password)?;
        sqlx::query("UPDATE image_registries SET password_enc = $1 WHERE id = $2")
            .bind(sealed)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.registry(account_id, id).await
    }

    fn seal_password(&self, account_id: i64, id: i64, password: &str) -> Result<String> {
        if password.is_empty() {
            return Ok(String::new());
        }
        self.secrets
            .seal(&password_purpose(account_id, id), password)
    }

    /// Replace a registry's settings and password (sync state stays). `NotFound` for a
    /// registry of another account; `Conflict` for a name the account uses elsewhere.
    pub async fn update_registry(
        &self,
        account_id: i64,
        id: i64,
        r: &NewRegistry,
    ) -> Result<RegistryRow> {
        let sealed = self.seal_password(account_id, id, &r.password)?;
        let res = sqlx::query(
            "UPDATE image_registries SET name = $1, url = $2, registry_type = $3, username = $4, password_enc = $5, \
             net_type = $6, registry_version = $7, registry_region = $8, speed_limit = $9, insecure = $10, \
             conn_detect = $11, instance_id = $12, need_scan = $13, sync_mode = $14, updated_at = $15 \
             WHERE account_id = $16 AND id = $17",
        )
        .bind(&r.name)
        .bind(&r.url)
        .bind(&r.registry_type)
        .bind(&r.username)
        .bind(sealed)
        .bind(&r.net_type)
        .bind(&r.registry_version)
        .bind(&r.registry_region)
        .bind(r.speed_limit)
        .bind(i64::from(r.insecure))
        .bind(r.conn_detect.to_string())
        .bind(&r.instance_id)
        .bind(i64::from(r.need_scan))
        .bind(r.sync_mode)
        .bind(self.now())
        .bind(account_id)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(|e| StoreError::conflict_or(e, &r.name))?;
        if res.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        self.registry(account_id, id).await
    }

    /// A registry of an account.
    pub async fn registry(&self, account_id: i64, id: i64) -> Result<RegistryRow> {
        let row = sqlx::query("SELECT * FROM image_registries WHERE account_id = $1 AND id = $2")
            .bind(account_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        registry_from(&row)
    }

    /// Registries of an account, oldest first.
    pub async fn registries(&self, account_id: i64) -> Result<Vec<RegistryRow>> {
        let rows = sqlx::query("SELECT * FROM image_registries WHERE account_id = $1 ORDER BY id")
            .bind(account_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(registry_from).collect()
    }

    /// The sealed password of a registry and the purpose it is bound to (for a scan task's
    /// target; the engine opens it with the master key). `None` without a password.
    pub async fn registry_sealed_password(
        &self,
        account_id: i64,
        id: i64,
    ) -> Result<Option<SealedSecret>> {
        let row = sqlx::query(
            "SELECT password_enc FROM image_registries WHERE account_id = $1 AND id = $2",
        )
        .bind(account_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let sealed: String = row.try_get("password_enc")?;
        Ok((!sealed.is_empty()).then(|| SealedSecret {
            sealed,
            purpose: password_purpose(account_id, id),
        }))
    }

    /// The plain password of a registry (empty without one), for connecting to it.
    pub async fn registry_password(&self, account_id: i64, id: i64) -> Result<String> {
        match self.registry_sealed_password(account_id, id).await? {
            Some(s) => self.secrets.open(&s.purpose, &s.sealed),
            None => Ok(String::new()),
        }
    }

    /// Delete a registry with its images; unfinished scans of those images are asked to
    /// stop. Returns the ids of the image rows removed.
    pub async fn delete_registry(&self, account_id: i64, id: i64) -> Result<Vec<i64>> {
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query("SELECT id FROM images WHERE account_id = $1 AND registry_id = $2")
            .bind(account_id)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        let ids = rows
            .iter()
            .map(|r| r.try_get::<i64, _>("id"))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let res = sqlx::query("DELETE FROM image_registries WHERE account_id = $1 AND id = $2")
            .bind(account_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if res.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM images WHERE account_id = $1 AND registry_id = $2")
            .bind(account_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.stop_image_tasks(account_id, &ids).await?;
        Ok(ids)
    }

    /// Record the outcome of a connectivity check (empty error: reachable).
    pub async fn set_registry_health(&self, account_id: i64, id: i64, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE image_registries SET health_error = $1, health_checked_at = $2 WHERE account_id = $3 AND id = $4",
        )
        .bind(clip(error))
        .bind(self.now())
        .bind(account_id)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Record sync progress: `status` `doing`, `success` (sets the last sync time) or
    /// `failed`, with the failure and notes.
    pub async fn set_registry_sync(
        &self,
        account_id: i64,
        id: i64,
        status: &str,
        error: &str,
        message: &str,
    ) -> Result<()> {
        let now = self.now();
        sqlx::query(
            "UPDATE image_registries SET sync_status = $1, sync_error = $2, sync_message = $3, \
             synced_at = CASE WHEN $1 = 'success' THEN $4 ELSE synced_at END WHERE account_id = $5 AND id = $6",
        )
        .bind(status)
        .bind(clip(error))
        .bind(clip(message))
        .bind(now)
        .bind(account_id)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_ids() {
        let id = format!("sha256:{}", "a1".repeat(32));
        assert!(is_image_id(&id));
        assert!(!is_image_id(&id.to_uppercase()));
        assert!(!is_image_id("sha256:abc"));
        assert!(!is_image_id(&format!("sha512:{}", "a1".repeat(32))));
        assert!(!is_image_id(&format!("{id}0")));
    }

    #[test]
    fn validation() {
        let ok = NewImage {
            image_id: format!("sha256:{}", "0".repeat(64)),
            source: "oci:/x".into(),
            ..Default::default()
        };
        assert!(ok.validate().is_ok());
        assert!(NewImage {
            source: String::new(),
            ..ok.clone()
        }
        .validate()
        .is_err());
        assert!(NewImage {
            registry_id: Some(1),
            ..ok.clone()
        }
        .validate()
        .is_err());
        assert!(NewImage {
            size: -1,
            ..ok.clone()
        }
        .validate()
        .is_err());
        assert!(NewImage {
            digest: "md5:x".into(),
            ..ok
        }
        .validate()
        .is_err());
    }

    #[test]
    fn clipping_keeps_char_boundaries() {
        let s = "é".repeat(MAX_TEXT);
        let c = clip(&s);
        assert!(c.len() <= MAX_TEXT);
        assert!(c.chars().all(|ch| ch == 'é'));
    }
}
