CREATE TABLE account_settings (
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    product TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, product, name)
);
