using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using ChatMerge.Hosting;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace ChatMerge.Keys;

/// <summary>
/// The secret that encrypts the Data Protection key ring at rest (CHATMERGE_KEY_RING_SECRET).
/// Without it, whoever reads the key ring (a database dump, a copied directory) can decrypt every
/// stored provider key; with it, they also need the server's configuration.
/// </summary>
internal sealed class KeyRingSecret
{
    public const string Variable = "CHATMERGE_KEY_RING_SECRET";
    public const int MinimumLength = 32;

    private KeyRingSecret(byte[] key) => Key = key;

    /// <summary>The AES-256 key derived from the secret; the secret itself is not kept.</summary>
    public byte[] Key { get; }

    /// <summary>The secret from configuration, null when unset; a secret that is too short fails start-up.</summary>
    public static KeyRingSecret? From(IConfiguration configuration)
    {
        var secret = configuration[Variable];
        if (string.IsNullOrWhiteSpace(secret))
            return null;
        if (secret.Length < MinimumLength)
            throw new SettingsException(
                $"{Variable} must be at least {MinimumLength} characters long (for example the output of `openssl rand -base64 48`).");
        // HKDF turns a long random passphrase into a key; the label keeps this key for this one use.
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret), 32,
            salt: [], info: "ChatMerge key ring encryption v1"u8.ToArray());
        return new KeyRingSecret(key);
    }
}

/// <summary>Encrypts each key ring entry with AES-256-GCM under the key from <see cref="KeyRingSecret"/>.</summary>
internal sealed class KeyRingEncryptor(KeyRingSecret secret) : IXmlEncryptor
{
    internal const int NonceSize = 12;
    internal const int TagSize = 16;

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var sealedBytes = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(secret.Key, TagSize))
            aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize));
        CryptographicOperations.ZeroMemory(plaintext);

        var element = new XElement("encryptedKey",
            new XComment(" Encrypted with AES-256-GCM under a key derived from " + KeyRingSecret.Variable + ". "),
            new XElement("value", Convert.ToBase64String(sealedBytes)));
        return new EncryptedXmlInfo(element, typeof(KeyRingDecryptor));
    }
}

/// <summary>
/// The decrypting half; Data Protection creates it by type name from the stored XML, so it takes
/// the service provider rather than the secret.
/// </summary>
internal sealed class KeyRingDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        var secret = services.GetService<KeyRingSecret>()
            ?? throw new CryptographicException($"The key ring is encrypted but {KeyRingSecret.Variable} is not set.");
        var value = encryptedElement.Element("value")?.Value
            ?? throw new CryptographicException("The encrypted key ring entry has no value.");
        var sealedBytes = Convert.FromBase64String(value);
        if (sealedBytes.Length < KeyRingEncryptor.NonceSize + KeyRingEncryptor.TagSize)
            throw new CryptographicException("The encrypted key ring entry is truncated.");

        var plaintext = new byte[sealedBytes.Length - KeyRingEncryptor.NonceSize - KeyRingEncryptor.TagSize];
        using (var aes = new AesGcm(secret.Key, KeyRingEncryptor.TagSize))
            aes.Decrypt(sealedBytes.AsSpan(0, KeyRingEncryptor.NonceSize),
                sealedBytes.AsSpan(KeyRingEncryptor.NonceSize + KeyRingEncryptor.TagSize),
                sealedBytes.AsSpan(KeyRingEncryptor.NonceSize, KeyRingEncryptor.TagSize), plaintext);
        try
        {
            return XElement.Parse(Encoding.UTF8.GetString(plaintext));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}
