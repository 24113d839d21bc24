using ChatMerge.Hosting;

namespace ChatMerge.Tests.Operations;

/// <summary>A <c>.env</c> line means what python-dotenv, which the original backend used, reads from it.</summary>
public sealed class DotEnvTests
{
    [Theory]
    [InlineData("SERVER_PORT=8157", "8157")]
    [InlineData("export SERVER_PORT = 8157 ", "8157")]
    [InlineData("SERVER_PORT=8157 # the port", "8157")]
    [InlineData("SERVER_PORT=8157\t# the port", "8157")]
    [InlineData("SERVER_PORT=\"8157\" # the port", "8157")]
    [InlineData("SERVER_PORT='8157'\t#the port", "8157")]
    [InlineData("SERVER_PORT=\"8157\"", "8157")]
    [InlineData("KEY=sk-a#b", "sk-a#b")]
    [InlineData("KEY=\"a # not a comment\"", "a # not a comment")]
    [InlineData("KEY='it\\'s'", "it's")]
    [InlineData("KEY='a\\nb'", "a\\nb")]
    [InlineData("KEY=\"a\\nb\\t\\\"c\\\"\\\\\"", "a\nb\t\"c\"\\")]
    [InlineData("KEY=\"unclosed", "\"unclosed")]
    [InlineData("KEY=\"a\" b", "\"a\" b")]
    [InlineData("KEY=", "")]
    public void A_line_gives_the_value_python_dotenv_gives(string line, string value)
    {
        var (_, parsed) = Assert.Single(DotEnv.Parse([line]));
        Assert.Equal(value, parsed);
    }

    [Fact]
    public void Comments_blank_lines_and_lines_without_a_key_are_skipped()
    {
        var parsed = DotEnv.Parse(["# a comment", "", "   ", "=value", "no equals sign", "  A=1", "B = two words "]).ToList();
        Assert.Equal([("A", "1"), ("B", "two words")], parsed);
    }
}
