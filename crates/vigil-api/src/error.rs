//! The gateway's error type: a [`Code`] naming what went wrong and a message for the caller.
//! Layer errors (store, parameters, scope, quotas) become an [`ApiError`] through `From`
//! impls here or in their product module; the request's [`Dialect`](crate::dialect::Dialect)
//! turns the code into its wire spelling and HTTP status once, at the edge. Internal text is
//! logged under the request's span, never sent, except where the message is meant for the
//! caller.

use std::fmt;
use vigil_store::StoreError;

/// What went wrong, in a vocabulary every dialect maps to its own codes. The names are those
/// of Tencent Cloud API 3.0's common error codes (the Tencent dialect sends them as named);
/// a code only one product's API has is [`Code::Product`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// A required parameter is absent.
    MissingParameter,
    /// A parameter the action does not take.
    UnknownParameter,
    /// A parameter of the wrong type or shape.
    InvalidParameter,
    /// A parameter of the right type with an unacceptable value.
    InvalidParameterValue,
    /// A parameter whose text is not in the expected format.
    InvalidFormat,
    /// A resource that already exists.
    Duplicate,
    /// A resource that does not exist (or is not the caller's).
    ResourceNotFound,
    /// A resource that is in use.
    ResourceInUse,
    /// An action or option of the cloud API that Vigil does not implement.
    UnsupportedOperation,
    /// The caller may not do this (e.g. scan a target it has not proven it controls).
    UnauthorizedOperation,
    /// The operation was refused in the resource's current state.
    FailedOperation,
    /// A quota of the account would be exceeded.
    LimitExceeded,
    /// The request itself could not be read.
    InvalidRequest,
    /// No such action, product or version.
    InvalidAction,
    /// The request is not signed, or its authorization cannot be read.
    InvalidAuthorization,
    /// The signature does not match (or the request was replayed).
    SignatureFailure,
    /// The signed timestamp is too far from the server's clock.
    SignatureExpire,
    /// The access key does not exist or was revoked.
    SecretIdNotFound,
    /// Temporary credentials, which this endpoint does not issue.
    TokenFailure,
    /// Too many requests of this action.
    RequestLimitExceeded,
    /// The request body is too large.
    RequestSizeLimitExceeded,
    /// A fault of Vigil's, logged under the request id.
    InternalError,
    /// A product's own code, sent as written (e.g. `LimitExceeded.ScanQuota`).
    Product(&'static str),
}

impl Code {
    /// The code's name: Tencent API 3.0's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Code::MissingParameter => "MissingParameter",
            Code::UnknownParameter => "UnknownParameter",
            Code::InvalidParameter => "InvalidParameter",
            Code::InvalidParameterValue => "InvalidParameterValue",
            Code::InvalidFormat => "InvalidParameter.InvalidFormat",
            Code::Duplicate => "InvalidParameter.Duplicate",
            Code::ResourceNotFound => "ResourceNotFound",
            Code::ResourceInUse => "ResourceInUse",
            Code::UnsupportedOperation => "UnsupportedOperation",
            Code::UnauthorizedOperation => "UnauthorizedOperation",
            Code::FailedOperation => "FailedOperation",
            Code::LimitExceeded => "LimitExceeded",
            Code::InvalidRequest => "InvalidRequest",
            Code::InvalidAction => "InvalidAction",
            Code::InvalidAuthorization => "AuthFailure.InvalidAuthorization",
            Code::SignatureFailure => "AuthFailure.SignatureFailure",
            Code::SignatureExpire => "AuthFailure.SignatureExpire",
            Code::SecretIdNotFound => "AuthFailure.SecretIdNotFound",
            Code::TokenFailure => "AuthFailure.TokenFailure",
            Code::RequestLimitExceeded => "RequestLimitExceeded",
            Code::RequestSizeLimitExceeded => "RequestSizeLimitExceeded",
            Code::InternalError => "InternalError",
            Code::Product(code) => code,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

/// An error as the client sees it: a code and an English message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// What went wrong.
    pub code: Code,
    /// Message for the caller.
    pub message: String,
}

/// Result of an action handler.
pub type ApiResult<T = serde_json::Value> = Result<T, ApiError>;

impl ApiError {
    /// An error with a code and message.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }
    /// `MissingParameter` for a parameter name.
    pub fn missing(name: &str) -> Self {
        Self::new(
            Code::MissingParameter,
            format!("The request is missing a required parameter `{name}`."),
        )
    }
    /// `UnknownParameter` for a parameter name.
    pub fn unknown(name: &str) -> Self {
        Self::new(
            Code::UnknownParameter,
            format!("The parameter `{name}` is not recognized."),
        )
    }
    /// `InvalidParameter`: wrong type or shape.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(Code::InvalidParameter, message)
    }
    /// `InvalidParameterValue`: right type, unacceptable value.
    pub fn invalid_value(message: impl Into<String>) -> Self {
        Self::new(Code::InvalidParameterValue, message)
    }
    /// `ResourceNotFound`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Code::ResourceNotFound, message)
    }
    /// `UnsupportedOperation`.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(Code::UnsupportedOperation, message)
    }
    /// `InternalError`, logging the real cause in the request's span (which carries its
    /// request id).
    pub fn internal(cause: &dyn fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            Code::InternalError,
            "An internal error occurred; see the server log for this RequestId.",
        )
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("The requested resource does not exist."),
            StoreError::Conflict(what) => {
                ApiError::new(Code::Duplicate, format!("`{what}` already exists."))
            }
            other => ApiError::internal(&other),
        }
    }
}
