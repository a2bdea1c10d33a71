/**
 * Platform-wide names that are not part of any one contract: the Snowflake database, schemas, roles and objects,
 * the dbt project and source names, and the Airflow schedule. Emitters read them as static data (still pure).
 * Change them here, then run `npm run generate`.
 */
export const PLATFORM = {
  snowflake: {
    database: "AMAZON_REVIEWS",
    /** Schema of the external tables over the processed Parquet. */
    rawSchema: "RAW",
    storageIntegration: "AMAZON_REVIEWS_S3",
    fileFormat: "PARQUET_FF",
    warehouse: "AMAZON_REVIEWS_WH",
    /**
     * Least-privilege roles: the loader owns stages and external tables; the transformer (dbt) reads them and
     * builds staging and marts; the reporter (QuickSight) reads marts only.
     */
    roles: { loader: "AMAZON_REVIEWS_LOADER", transformer: "AMAZON_REVIEWS_TRANSFORMER", reporter: "AMAZON_REVIEWS_REPORTER" },
    /** Placeholder that `snowflake:apply` replaces with the IAM role ARN Snowflake assumes (from the environment). */
    storageRoleArnPlaceholder: "${STORAGE_AWS_ROLE_ARN}",
    /**
     * Protection of personal data (`generators/targets/protection.ts`): the schema holding the PII tag, the masking
     * policies and the pseudonym key table, readable by the transformer only.
     */
    governance: {
      schema: "GOVERNANCE",
      /** Object tag carrying a column's PII class (`personal`, `sensitive`). */
      piiTag: "PII",
      /** Tag-based masking policy for string columns tagged PII (staging views, marts). */
      stringMaskingPolicy: "PII_STRING_MASK",
      /** Suffix of the masking policy on an external table's VALUE column (`REVIEW_VALUE_MASK`). */
      valueMaskingPolicySuffix: "_VALUE_MASK",
      /** One-row table holding the pseudonym key, loaded by `snowflake:apply` from the environment. */
      pseudonymKeyTable: "PSEUDONYM_KEY",
    },
  },
  /** Keyed pseudonyms of personal columns: SHA-256 over the key, ":" and the value, as lowercase hex. */
  pseudonym: {
    /** Environment variable the key is read from (never written to a file). */
    keyEnv: "CONTRACT_PSEUDONYM_KEY",
    /** Shortest key accepted, in characters. */
    minKeyLength: 32,
  },
  dbt: {
    project: "amazon_reviews",
    profile: "amazon_reviews",
    /** dbt source name of the external tables: models read `source('amazon', '<table>')`. */
    source: "amazon",
    /** Freshness of the processed data, measured on `loaded_at_field`. */
    freshness: { warnAfterHours: 36, errorAfterHours: 72 },
    /** The profile's schema on Snowflake; dbt builds `<schema>_STAGING` and `<schema>_MARTS` from it. */
    schema: "ANALYTICS",
    /**
     * `require-dbt-version` of the generated project: from the minor of the dbt-core the project is tested with
     * (toolchain/python/dbt.lock.txt; a test keeps them equal) to the next major. An older dbt then stops with
     * "This version of dbt is not supported" instead of failing inside a macro the project relies on.
     */
    requireDbtVersion: [">=1.11.0", "<2.0.0"],
  },
  airflow: {
    dagId: "amazon_reviews_dbt",
    /** Daily at 06:00 UTC, after the night's Glue runs. */
    schedule: "0 6 * * *",
    startDate: "2026-01-01",
    retries: 2,
    retryDelayMinutes: 10,
    /** Where the dbt project is deployed on the Airflow workers. */
    dbtProjectDir: "/opt/airflow/dbt/amazon_reviews",
    dbtProfilesDir: "/opt/airflow/dbt/profiles",
    dbtTarget: "prod",
    /**
     * How long a daily run may take (the DAG's dagrun_timeout): dbt, then the QuickSight refresh it triggers, so that
     * the dashboards show the night's data by 09:00 UTC at the latest.
     */
    windowHours: 3,
    /**
     * Each task's execution_timeout, in minutes: the freshness check, then the build with its retries and their delays,
     * the QuickSight refresh (no retry) and the watcher fit the window (10 + 3 × 25 + 2 × 10 + 30 + 5 = 140 of 180
     * minutes; `dagSource` refuses budgets that do not).
     */
    taskTimeoutMinutes: { dbt_source_freshness: 10, dbt_build: 25, refresh_quicksight: 30, watcher: 5 },
    /** How often the refresh task asks QuickSight whether its ingestions have ended. */
    ingestionPollSeconds: 30,
  },
  quicksight: {
    /** Resource ids (prefixes of the data sets' ids). */
    idPrefix: "amazon-reviews",
    dataSourceId: "amazon-reviews-snowflake",
    analysisId: "amazon-reviews",
    analysisName: "Amazon reviews",
    /** The only principal given access: a QuickSight group of readers. */
    readerGroup: "amazon-reviews-readers",
  },
} as const;
