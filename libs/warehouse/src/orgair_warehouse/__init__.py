"""The Snowflake warehouse the platform exports every record to."""
