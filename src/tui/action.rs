//! What a key means, independent of which key it is.

/// Everything the operator can ask for. The key table maps keys to these per mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    Help,
    Submit,
    NextField,
    PrevField,
    FieldUp,
    FieldDown,
    /// Enter in the form: next field, or submit from the last one.
    Advance,
    TypeNext,
    TypePrev,
    /// Pick a KYC type by its position in the platform's list.
    TypePick(usize),
    RowUp,
    RowDown,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Filter,
    ToggleErrors,
    OpenDetail,
    /// Cancel the selected (or newest) pending submission.
    CancelPending,
    /// Copy the webview link of the selected row, the detail, or the last success.
    CopyLink,
    CopyCurl,
    CopyRequestId,
    CopyBody,
    Resend,
    /// Send a submission with no known outcome again, with its own idempotency key.
    RetrySameKey,
    /// Write what the history pane shows to a file.
    ExportCsv,
    ExportJson,
    /// Open the figures over the rows in view.
    OpenStats,
    /// The stats timeline per minute / per hour.
    TogglePer,
    /// Read the figures again.
    Refresh,
    /// The stats timeline in local time / UTC.
    ToggleZone,
    LoadIntoForm,
    Close,
    ScrollUp,
    ScrollDown,
    Yes,
    No,
    /// Open the profile picker.
    Profiles,
    /// Use the profile selected in the picker.
    Choose,
    /// Show every profile's history rows, or only the current profile's.
    ToggleAllProfiles,
    /// Open the batch screen.
    OpenBatch,
    /// Read and check what was pasted (or the file named).
    BatchPreview,
    /// Send the previewed batch (after confirmation on production).
    BatchSend,
    /// Back from the preview to the pasted text.
    BatchEdit,
    /// Resume the newest batch that has rows without an outcome.
    BatchResume,
    /// Pause or resume dispatching.
    BatchPause,
    /// Send nothing more; rows in flight finish.
    BatchStop,
    /// Clear the pasted text.
    BatchClear,
    /// A key the batch editor acts on itself (cursor, scrolling, deleting, undo): the key
    /// goes to the editor.
    EditorKey,
    FilterDone,
    FilterClear,
}
