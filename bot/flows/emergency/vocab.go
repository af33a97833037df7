package emergency

// IntentWords are the emergency intent's vocabulary (syntax: intent.New),
// for what the detector's exact words miss.
var IntentWords = []string{"救命"}
