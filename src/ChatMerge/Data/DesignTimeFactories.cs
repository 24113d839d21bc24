using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace ChatMerge.Data;

// Used by `dotnet ef migrations add` only; each provider keeps its own migration set.
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteChatMergeDbContext>
{
    public SqliteChatMergeDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<SqliteChatMergeDbContext>();
        DataExtensions.UseSqlite(options, "Data Source=design.db");
        return new(options.Options);
    }
}

internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresChatMergeDbContext>
{
    public PostgresChatMergeDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<PostgresChatMergeDbContext>();
        DataExtensions.UsePostgres(options, "Host=localhost;Database=chatmerge");
        return new(options.Options);
    }
}
