using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Xml.Linq;
using ChatMerge.Data;
using ChatMerge.Hosting;
using ChatMerge.Keys;
using ChatMerge.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ChatMerge.Tests.Postgres;

public sealed class KeyRingEncryptionTests
{
    private static readonly XElement MasterKey = new("descriptor", new XElement("masterKey", new XElement("value", "c2VjcmV0LW1hc3Rlci1rZXk=")));

    private static KeyRingSecret Secret(string value) =>
        KeyRingSecret.From(new ConfigurationBuilder().AddInMemoryCollection([new(KeyRingSecret.Variable, value)]).Build())!;

    private static IServiceProvider ServicesWith(KeyRingSecret? secret)
    {
        var services = new ServiceCollection();
        if (secret is not null)
            services.AddSingleton(secret);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void An_entry_encrypted_with_the_secret_decrypts_to_the_same_xml_and_hides_it()
    {
        var secret = Secret(TestDatabase.KeyRingSecret);

        var encrypted = new KeyRingEncryptor(secret).Encrypt(MasterKey);

        Assert.DoesNotContain("c2VjcmV0LW1hc3Rlci1rZXk=", encrypted.EncryptedElement.ToString());
        Assert.Equal(typeof(KeyRingDecryptor), encrypted.DecryptorType);
        var decrypted = new KeyRingDecryptor(ServicesWith(secret)).Decrypt(encrypted.EncryptedElement);
        Assert.True(XNode.DeepEquals(MasterKey, decrypted));
    }

    [Fact]
    public void A_different_secret_cannot_decrypt_the_key_ring()
    {
        var encrypted = new KeyRingEncryptor(Secret(TestDatabase.KeyRingSecret)).Encrypt(MasterKey);
        var other = new KeyRingDecryptor(ServicesWith(Secret("another-secret-of-enough-length-0123456789")));

        Assert.ThrowsAny<CryptographicException>(() => other.Decrypt(encrypted.EncryptedElement));
        Assert.ThrowsAny<CryptographicException>(() => new KeyRingDecryptor(ServicesWith(null)).Decrypt(encrypted.EncryptedElement));
    }

    [Fact]
    public void A_secret_shorter_than_32_characters_is_refused_naming_the_variable()
    {
        var error = Assert.Throws<SettingsException>(() => Secret("too-short"));
        Assert.Contains(KeyRingSecret.Variable, error.Message);
        Assert.Contains("32", error.Message);
    }

    private sealed class EncryptedKeyDirectoryServer : ServerFixture
    {
        public string Ring => Path.Combine(Directory, "ring");

        protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
            [new(KeyRingSecret.Variable, TestDatabase.KeyRingSecret), new(KeysSetup.DirectoryVariable, Ring)];
    }

    [Fact]
    public async Task A_key_directory_with_a_secret_holds_only_encrypted_keys_and_stored_keys_still_work()
    {
        var server = new EncryptedKeyDirectoryServer();
        await server.InitializeAsync();
        try
        {
            await server.Client.PostAsJsonAsync("/api/api-keys", new { provider = "openai", api_key = "sk-encrypted-ring" });

            var files = System.IO.Directory.GetFiles(server.Ring, "*.xml");
            Assert.NotEmpty(files);
            Assert.All(files, f => Assert.DoesNotContain("<masterKey", File.ReadAllText(f)));
            Assert.All(files, f => Assert.Contains("<encryptedKey", File.ReadAllText(f)));
            await using var scope = server.Services.CreateAsyncScope();
            var vault = scope.ServiceProvider.GetRequiredService<KeyVault>();
            Assert.Equal("sk-encrypted-ring", await vault.ResolveAsync(scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>(), "openai", CancellationToken.None));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_restart_with_a_different_secret_gives_a_clear_error_for_stored_keys_not_a_crash()
    {
        var server = new EncryptedKeyDirectoryServer();
        await server.InitializeAsync();
        try
        {
            await server.Client.PostAsJsonAsync("/api/api-keys", new { provider = "anthropic", api_key = "sk-ant-other-secret" });
            await server.StopAsync();
            await server.StartAsync([new(KeyRingSecret.Variable, "a-different-secret-that-is-long-enough-0123456789")]);

            await using var scope = server.Services.CreateAsyncScope();
            var vault = scope.ServiceProvider.GetRequiredService<KeyVault>();
            var error = await Assert.ThrowsAsync<KeyUnavailableException>(() =>
                vault.ResolveAsync(scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>(), "anthropic", CancellationToken.None));
            Assert.Contains("Enter the key again", error.Message);
            Assert.Equal(System.Net.HttpStatusCode.OK, (await server.Client.GetAsync("/api/api-keys")).StatusCode);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
