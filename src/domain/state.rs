//! The choice values of every state-like field, as enums. The wire value (what the
//! instance stores), the label an operator reads, and the tone the UI colours it by live
//! here and nowhere else; a profile can map the wire values (DESIGN §3b).

/// How a state reads at a glance: a symbol and a colour role (never colour alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Done and fine.
    Ok,
    /// Waiting to be worked on.
    Pending,
    /// Being worked on now.
    Running,
    /// Needs attention, but not failed (skipped, on hold, cancelled).
    Held,
    /// Failed.
    Failed,
    /// Finished and out of the way (resolved, closed).
    Done,
    /// Not a known state.
    Unknown,
}

impl Tone {
    pub fn symbol(self) -> &'static str {
        match self {
            Tone::Ok | Tone::Done => "✔",
            Tone::Pending => "●",
            Tone::Running => "⟳",
            Tone::Held => "⏸",
            Tone::Failed => "✖",
            Tone::Unknown => "·",
        }
    }
}

/// Declares a choice field: its variants, wire values, labels and tones.
macro_rules! choice {
    ($(#[$m:meta])* $name:ident { $($var:ident = $val:literal, $label:literal, $tone:ident;)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($var),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$var),*];

            /// Every wire value, in list order (the choice list a record's description
            /// names, and what the embedded instance serves in `sys_choice`).
            pub const VALUES: &'static [&'static str] = &[$($val),*];

            /// The value the instance stores.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$var => $val),* }
            }

            /// What an operator reads.
            pub const fn label(self) -> &'static str {
                match self { $($name::$var => $label),* }
            }

            pub const fn tone(self) -> Tone {
                match self { $($name::$var => Tone::$tone),* }
            }

            /// The variant a wire value stands for (exact, as stored).
            pub fn parse(v: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|s| s.as_str() == v)
            }

            /// Every wire value, for validation messages and completion.
            pub fn values() -> Vec<&'static str> {
                Self::VALUES.to_vec()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

choice! {
    /// An outbound or inbound queue entry (documented for Remote Process Sync).
    QueueState {
        Ready = "ready", "Ready", Pending;
        Processing = "processing", "Processing", Running;
        Processed = "processed", "Processed", Ok;
        Error = "error", "Error", Failed;
        Skipped = "skipped", "Skipped", Held;
    }
}

choice! {
    /// A flow execution (`sys_flow_context.state`).
    ExecState {
        Queued = "QUEUED", "Queued", Pending;
        InProgress = "IN_PROGRESS", "In progress", Running;
        Waiting = "WAITING", "Waiting", Held;
        Complete = "COMPLETE", "Complete", Ok;
        Cancelled = "CANCELLED", "Cancelled", Held;
        Error = "ERROR", "Error", Failed;
    }
}

choice! {
    /// An execution as the Flow REST status endpoint reports it.
    FlowStatus {
        Queued = "QUEUED", "Queued", Pending;
        Running = "RUNNING", "Running", Running;
        Waiting = "WAITING", "Waiting", Held;
        Complete = "COMPLETE", "Complete", Ok;
        Cancelled = "CANCELLED", "Cancelled", Held;
        Error = "ERROR", "Error", Failed;
    }
}

impl FlowStatus {
    pub fn finished(self) -> bool {
        matches!(self, FlowStatus::Complete | FlowStatus::Error | FlowStatus::Cancelled)
    }
}

choice! {
    /// Where a work order stands with its provider.
    IntegrationState {
        NotSynced = "not_synced", "Not synced", Pending;
        CreatePending = "create_pending", "Create pending", Running;
        Created = "created", "Created", Ok;
        CreateFailed = "create_failed", "Create failed", Failed;
        UpdatePending = "update_pending", "Update pending", Running;
        UpdateFailed = "update_failed", "Update failed", Failed;
        CancelPending = "cancel_pending", "Cancel pending", Running;
        Cancelled = "cancelled", "Cancelled", Held;
        CancelFailed = "cancel_failed", "Cancel failed", Failed;
    }
}

choice! {
    /// One step of a flow execution (the companion API's `steps[].state`).
    StepState {
        Waiting = "waiting", "Waiting", Pending;
        Running = "running", "Running", Running;
        Complete = "complete", "Complete", Ok;
        Error = "error", "Error", Failed;
        Skipped = "skipped", "Skipped", Held;
    }
}

choice! {
    /// A work order's own state.
    WorkOrderState {
        New = "new", "New", Pending;
        InProgress = "in_progress", "In progress", Running;
        OnHold = "on_hold", "On hold", Held;
        Resolved = "resolved", "Resolved", Done;
        Closed = "closed", "Closed", Done;
        // As the IFM documentation spells it (workplace-case-management/outbound-flows).
        Canceled = "canceled", "Cancelled", Held;
    }
}

choice! {
    /// The verdict of one sync (a sync-history line, a subflow's Status output).
    SyncStatus {
        Success = "success", "Success", Ok;
        Failed = "failed", "Failed", Failed;
    }
}

choice! {
    /// A provider's outbound or inbound connection.
    ProviderState {
        Ready = "ready", "Ready", Ok;
        Error = "error", "Error", Failed;
    }
}

choice! {
    /// A provider's health as the console derives it from recent outcomes (not a stored
    /// field: the stored outbound state says "ready" until the instance gives up).
    ProviderHealth {
        Failing = "failing", "Failing", Failed;
        Degraded = "degraded", "Degraded", Held;
        Healthy = "ok", "OK", Ok;
        Idle = "idle", "Idle", Unknown;
    }
}

impl ProviderHealth {
    /// From the recent outcomes (successes, failures), the entries in error now and the
    /// connection's stored state. Failing: the connection is in error, or at least half
    /// of five or more recent syncs failed; degraded: any recent failure or entry in error.
    pub fn derive(ok: u32, failed: u32, errors: u64, connection_error: bool) -> ProviderHealth {
        let n = ok + failed;
        if connection_error || (n >= 5 && failed * 2 >= n) || (n > 0 && ok == 0 && failed >= 3) {
            ProviderHealth::Failing
        } else if failed > 0 || errors > 0 {
            ProviderHealth::Degraded
        } else if n > 0 {
            ProviderHealth::Healthy
        } else {
            ProviderHealth::Idle
        }
    }
}

choice! {
    /// What a sync did at the provider.
    SyncOperation {
        Create = "create", "Create", Unknown;
        Update = "update", "Update", Unknown;
        Cancel = "cancel", "Cancel", Unknown;
        Inbound = "inbound", "Inbound", Unknown;
    }
}

impl QueueState {
    /// States of entries still waiting to be worked off (the queue's depth).
    pub const WAITING: [QueueState; 2] = [QueueState::Ready, QueueState::Processing];
}

/// The tone of a value of any state-like field, for cells that show several tables.
/// Case-insensitive: execution states are upper case, queue states lower case.
pub fn tone_of(v: &str) -> Tone {
    let exact = QueueState::parse(v)
        .map(QueueState::tone)
        .or_else(|| IntegrationState::parse(v).map(IntegrationState::tone))
        .or_else(|| WorkOrderState::parse(v).map(WorkOrderState::tone))
        .or_else(|| SyncStatus::parse(v).map(SyncStatus::tone))
        .or_else(|| ExecState::parse(v).map(ExecState::tone))
        .or_else(|| FlowStatus::parse(v).map(FlowStatus::tone));
    match exact {
        Some(t) => t,
        None if v.chars().any(|c| c.is_ascii_lowercase()) => {
            let up = v.to_ascii_uppercase();
            ExecState::parse(&up).map(ExecState::tone).unwrap_or(Tone::Unknown)
        }
        None => {
            let low = v.to_ascii_lowercase();
            if low == v { Tone::Unknown } else { tone_of(&low) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_round_trip() {
        for s in IntegrationState::ALL {
            assert_eq!(IntegrationState::parse(s.as_str()), Some(*s));
        }
        assert_eq!(QueueState::parse("eror"), None);
    }

    #[test]
    fn tones_cover_every_table() {
        assert_eq!(tone_of("error"), Tone::Failed);
        assert_eq!(tone_of("ERROR"), Tone::Failed);
        assert_eq!(tone_of("complete"), Tone::Ok);
        assert_eq!(tone_of("create_pending"), Tone::Running);
        assert_eq!(tone_of("closed"), Tone::Done);
        assert_eq!(tone_of("skipped"), Tone::Held);
        assert_eq!(tone_of("whatever"), Tone::Unknown);
    }
}
