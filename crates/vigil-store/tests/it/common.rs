//! Fresh stores on every backend (SQLite, and PostgreSQL when `VIGIL_TEST_POSTGRES_URL` is
//! set), shared by the store's tests.

use vigil_store::Store;

/// A fresh store on each backend with the URL it was opened at; `tag` names the databases.
pub async fn stores_at(tag: &str) -> Vec<(Store, String)> {
    let mut out = Vec::new();
    for url in vigil_testkit::database_urls(tag).await {
        out.push((
            Store::open(&url, vigil_testkit::secrets()).await.unwrap(),
            url,
        ));
    }
    out
}

/// A fresh store on each backend; `tag` names the databases.
pub async fn stores(tag: &str) -> Vec<Store> {
    stores_at(tag).await.into_iter().map(|(s, _)| s).collect()
}
