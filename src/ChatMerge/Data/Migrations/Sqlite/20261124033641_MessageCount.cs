using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ChatMerge.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class MessageCount : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_chats_updated_at",
                table: "chats");

            migrationBuilder.AddColumn<int>(
                name: "message_count",
                table: "chats",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            // Chats that exist already get the count of their messages.
            migrationBuilder.Sql("UPDATE chats SET message_count = (SELECT COUNT(*) FROM messages WHERE messages.chat_id = chats.id);");

            migrationBuilder.CreateIndex(
                name: "IX_chats_updated_at_id",
                table: "chats",
                columns: new[] { "updated_at", "id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_chats_updated_at_id",
                table: "chats");

            migrationBuilder.DropColumn(
                name: "message_count",
                table: "chats");

            migrationBuilder.CreateIndex(
                name: "IX_chats_updated_at",
                table: "chats",
                column: "updated_at");
        }
    }
}
