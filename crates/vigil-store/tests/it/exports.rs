//! Stored exports on every backend (SQLite, and PostgreSQL when `VIGIL_TEST_POSTGRES_URL` is
//! set): content round trip, tenant isolation, unique job ids, expiry and clean-up.

use crate::common::stores;
use vigil_store::{NewExport, StoreError};

fn export(job: &str, content: &[u8], expires_at: i64) -> NewExport {
    NewExport {
        job_id: job.into(),
        product: "tcss".into(),
        source: "LocalImageVul".into(),
        file_name: format!("{job}.xlsx"),
        row_count: 2,
        content: content.to_vec(),
        expires_at,
    }
}

#[tokio::test]
async fn exports_are_per_account_and_expire() {
    for store in stores("exports").await {
        let a = store.create_account("a").await.unwrap();
        let b = store.create_account("b").await.unwrap();
        let now = vigil_core::now_millis();
        let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
        let e = store
            .create_export(a.id, &export("job-1", &bytes, now + 60_000))
            .await
            .unwrap();
        assert_eq!((e.size_bytes, e.row_count), (70_000, 2));
        let (meta, content) = store.export_content(a.id, "job-1", now).await.unwrap();
        assert_eq!(meta, e);
        assert_eq!(content, bytes, "binary content survives");
        assert_eq!(store.export(a.id, "job-1", now).await.unwrap(), e);
        // Another account sees nothing, and may use the same job id.
        assert!(matches!(
            store.export(b.id, "job-1", now).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.export_content(b.id, "job-1", now).await,
            Err(StoreError::NotFound)
        ));
        store
            .create_export(b.id, &export("job-1", b"x", now + 60_000))
            .await
            .unwrap();
        assert!(matches!(
            store
                .create_export(a.id, &export("job-1", b"y", now + 60_000))
                .await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(store.export_usage(a.id, now).await.unwrap(), (1, 70_000));
        // Expired: gone for readers at once, and removed by the clean-up.
        store
            .create_export(a.id, &export("job-old", b"old", now - 1))
            .await
            .unwrap();
        assert!(matches!(
            store.export(a.id, "job-old", now).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(store.export_usage(a.id, now).await.unwrap(), (1, 70_000));
        assert_eq!(store.delete_expired_exports(now).await.unwrap(), 1);
        assert_eq!(store.delete_expired_exports(now).await.unwrap(), 0);
        assert!(store.export(a.id, "job-1", now).await.is_ok());
        assert_eq!(store.delete_expired_exports(now + 60_000).await.unwrap(), 2);
    }
}
