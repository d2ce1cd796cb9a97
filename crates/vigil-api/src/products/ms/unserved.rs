//! The MS actions of `tencentcloud-sdk-python-ms` 3.0.885 and of the current SDK (3.0.1459)
//! that Vigil does not serve: app hardening (shield), encryption, resources, orders, bindings
//! and the local-task protocol. Calling one answers `UnsupportedOperation` rather than
//! `InvalidAction`, so clients can tell "not served" from "no such action".

/// MS actions of the official SDKs that Vigil does not serve.
pub const NOT_YET_SERVED: &[&str] = &[
    "CancelEncryptTask",
    "CreateBindInstance",
    "CreateCosSecKeyInstance",
    "CreateEncryptInstance",
    "CreateOrderInstance",
    "CreateResourceInstances",
    "CreateShieldInstance",
    "CreateShieldPlanInstance",
    "DeleteShieldInstances",
    "DescribeEncryptInstances",
    "DescribeEncryptPlan",
    "DescribeOrderInstances",
    "DescribeResourceInstances",
    "DescribeShieldInstances",
    "DescribeShieldPlanInstance",
    "DescribeShieldResult",
    "DescribeUrlDetectionResult",
    "DescribeUserBaseInfoInstance",
    "DestroyResourceInstances",
    "RequestLocalTask",
    "UpdateClientState",
    "UpdateLocalTaskResult",
];
