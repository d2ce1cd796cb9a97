//! The one edge type that maps failures to the Tencent Cloud error envelope. Domain errors
//! (store, scope) are converted here; their internal text is logged, never sent, except where
//! the message is meant for the caller.

use serde_json::json;
use vigil_store::StoreError;

/// An error as the client sees it: a Tencent error code and an English message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// Tencent error code, e.g. `InvalidParameterValue`.
    pub code: String,
    /// Message for the caller.
    pub message: String,
}

/// Result of an action handler.
pub type ApiResult<T = serde_json::Value> = Result<T, ApiError>;

impl ApiError {
    /// An error with a code and message.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        ApiError {
            code: code.to_string(),
            message: message.into(),
        }
    }
    /// `MissingParameter` for a parameter name.
    pub fn missing(name: &str) -> Self {
        Self::new(
            "MissingParameter",
            format!("The request is missing a required parameter `{name}`."),
        )
    }
    /// `UnknownParameter` for a parameter name.
    pub fn unknown(name: &str) -> Self {
        Self::new(
            "UnknownParameter",
            format!("The parameter `{name}` is not recognized."),
        )
    }
    /// `InvalidParameter`: wrong type or shape.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new("InvalidParameter", message)
    }
    /// `InvalidParameterValue`: right type, unacceptable value.
    pub fn invalid_value(message: impl Into<String>) -> Self {
        Self::new("InvalidParameterValue", message)
    }
    /// `ResourceNotFound`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new("ResourceNotFound", message)
    }
    /// `UnsupportedOperation`.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new("UnsupportedOperation", message)
    }
    /// `InternalError`, logging the real cause under the request id.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            "InternalError",
            "An internal error occurred; see the server log for this RequestId.",
        )
    }

    /// The response body for this error.
    pub fn envelope(&self, request_id: &str) -> serde_json::Value {
        json!({"Response": {"Error": {"Code": self.code, "Message": self.message}, "RequestId": request_id}})
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("The requested resource does not exist."),
            StoreError::Conflict(what) => ApiError::new(
                "InvalidParameter.Duplicate",
                format!("`{what}` already exists."),
            ),
            other => ApiError::internal(&other),
        }
    }
}
