namespace ChatMerge.Data;

internal sealed class Chat
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public required string Title { get; set; }
    public required string Provider { get; set; }
    public required string Model { get; set; }
    public string? SystemPrompt { get; set; }
    public DateTime CreatedAt { get; init; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    /// <summary>
    /// Kept in step with the messages by <see cref="ChatMessages.AppendAsync"/>, in the same transaction,
    /// so that listing thousands of chats reads one table instead of counting every chat's messages.
    /// </summary>
    public int MessageCount { get; set; }
    public List<Message> Messages { get; init; } = [];
}

internal sealed class Message
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid ChatId { get; init; }
    public required string Role { get; init; }
    public required string Content { get; set; }
    public string? ReasoningTrace { get; set; }

    /// <summary>Provider-specific reasoning blocks (e.g. Claude thinking signatures) as JSON, replayed to the same provider.</summary>
    public string? ReasoningData { get; set; }

    /// <summary>False when the answer was cut short by a provider fault or a client that went away.</summary>
    public bool IsComplete { get; set; } = true;
    public string? Provider { get; set; }
    public string? Model { get; set; }
    public int? InputTokens { get; set; }
    public int? OutputTokens { get; set; }
    public DateTime CreatedAt { get; init; } = DateTime.UtcNow;
}

internal sealed class ApiKey
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public required string Provider { get; init; }
    public required string EncryptedKey { get; set; }
    public bool IsActive { get; set; } = true;
    public DateTime CreatedAt { get; init; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
}

internal sealed class MergeHistory
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid MergedChatId { get; init; }

    /// <summary>Source chat ids; kept as values, not foreign keys, so deleting a source keeps the lineage.</summary>
    public required List<Guid> SourceChatIds { get; init; }
    public required string Provider { get; init; }
    public required string Model { get; init; }
    public required string Mode { get; init; }
    public DateTime CreatedAt { get; init; } = DateTime.UtcNow;
}
