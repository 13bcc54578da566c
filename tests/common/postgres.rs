//! A fresh PostgreSQL database for each test, on the server `KYC_TEST_POSTGRES_URL` names
//! (`.ci/run` starts one; `source .ci/postgres` starts one by hand). Without the variable
//! the PostgreSQL tests say they were skipped and pass, except on CI (`CI=true`), where
//! they fail: there the server must be there.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(dead_code)]

/// The variable naming the test server.
pub const URL_VAR: &str = "KYC_TEST_POSTGRES_URL";

/// The server's URL, or `None` (after saying so) when the tests should be skipped.
pub fn server() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{URL_VAR} is not set: CI runs the PostgreSQL tests (.ci/run starts a server)")
        }
        _ => {
            eprintln!("skipped: {URL_VAR} is not set");
            println!("skipped: {URL_VAR} is not set");
            None
        }
    }
}

/// A URL of a new, empty database on the test server, or `None` when skipped.
pub fn fresh_database(test: &str) -> Option<String> {
    let server = server()?;
    let name = format!(
        "kyc_t_{}_{}",
        test.chars()
            .filter(char::is_ascii_alphanumeric)
            .take(20)
            .collect::<String>()
            .to_ascii_lowercase(),
        uuid::Uuid::new_v4().simple()
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(&server, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("cannot reach the test server in {URL_VAR}: {e}"));
        let running = tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        drop(client);
        let _ = running.await;
    });
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&format!("/{name}"));
    Some(url.to_string())
}

/// The test server's URL without its password, and the password apart (as the settings
/// keep them).
pub fn without_password(url: &str) -> (String, String) {
    let mut parsed = url::Url::parse(url).unwrap();
    let password = parsed.password().unwrap_or_default().to_string();
    parsed.set_password(None).unwrap();
    (parsed.to_string(), password)
}
