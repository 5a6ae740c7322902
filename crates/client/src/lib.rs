//! vanish-client: the blocking HTTP + crypto client behind the CLI.
