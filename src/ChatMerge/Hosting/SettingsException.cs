namespace ChatMerge.Hosting;

/// <summary>
/// A setting the server cannot start with. Its message names the setting and what it takes; start-up
/// stops with that one line and exit code 1, not a stack trace (see Program.cs).
/// </summary>
internal sealed class SettingsException(string message, Exception? inner = null) : Exception(message, inner);
