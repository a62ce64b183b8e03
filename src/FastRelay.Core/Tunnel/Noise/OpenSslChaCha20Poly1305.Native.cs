using System.Runtime.InteropServices;

namespace FastRelay.Tunnel.Noise;

internal sealed partial class OpenSslChaCha20Poly1305
{
    /// <summary>
    /// The OpenSSL 3 EVP calls we make (openssl/evp.h). No <c>SuppressGCTransition</c>: these calls can take
    /// microseconds (a 64 KiB record) and may take locks inside OpenSSL, which that attribute forbids.
    /// </summary>
    internal static unsafe partial class Native
    {
        /// <summary>The soname of OpenSSL 3's libcrypto, the library .NET's own crypto shim loads on Linux.</summary>
        internal const string LibCrypto = "libcrypto.so.3";


        /// <summary>EVP_CTRL_AEAD_GET_TAG: read the tag after an encrypting final.</summary>
        internal const int EVP_CTRL_AEAD_GET_TAG = 0x10;

        /// <summary>EVP_CTRL_AEAD_SET_TAG: the expected tag, before a decrypting final.</summary>
        internal const int EVP_CTRL_AEAD_SET_TAG = 0x11;

        [LibraryImport(LibCrypto)]
        internal static partial nint EVP_CIPHER_CTX_new();

        [LibraryImport(LibCrypto)]
        internal static partial void EVP_CIPHER_CTX_free(nint ctx);

        [LibraryImport(LibCrypto)]
        internal static partial nint EVP_chacha20_poly1305();

        [LibraryImport(LibCrypto)]
        internal static partial int EVP_CipherInit_ex(nint ctx, nint cipher, nint engine, byte* key, byte* iv, int enc);

        [LibraryImport(LibCrypto)]
        internal static partial int EVP_CipherUpdate(nint ctx, byte* output, int* outputLength, byte* input, int inputLength);

        [LibraryImport(LibCrypto)]
        internal static partial int EVP_CipherFinal_ex(nint ctx, byte* output, int* outputLength);

        [LibraryImport(LibCrypto)]
        internal static partial int EVP_CIPHER_CTX_ctrl(nint ctx, int type, int arg, void* ptr);

        [LibraryImport(LibCrypto)]
        internal static partial void ERR_clear_error();
    }
}
