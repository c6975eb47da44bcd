package gpufleet.protocol;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM files, as openssl and certificate authorities write them: certificates and private keys for
 * the controller's TLS endpoint, and the certificate authority agents and the command line trust to
 * verify it. Every problem is an {@link IllegalArgumentException} naming the file.
 */
public final class Pem {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
    /** DER of the AlgorithmIdentifier for rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters. */
    private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
            (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};

    private Pem() {}

    private record Block(String type, byte[] der) {}

    private static List<Block> blocks(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
        List<Block> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            try {
                out.add(new Block(m.group(1), Base64.getMimeDecoder().decode(m.group(2))));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": a " + m.group(1) + " block is not valid base64");
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException(file + ": no PEM block (-----BEGIN ...-----) found");
        return out;
    }

    /** The certificates in {@code file}, in file order (a server's own first, then its chain). */
    public static List<X509Certificate> certificates(Path file) {
        List<X509Certificate> out = new ArrayList<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (Block b : blocks(file))
                if (b.type().equals("CERTIFICATE"))
                    out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der())));
        } catch (CertificateException e) {
            throw new IllegalArgumentException(file + ": not a valid certificate: " + e.getMessage(), e);
        }
        if (out.isEmpty()) throw new IllegalArgumentException(file + ": no CERTIFICATE in it");
        return out;
    }

    /** The private key in {@code file}: PKCS#8 ({@code BEGIN PRIVATE KEY}; RSA, EC or EdDSA) or PKCS#1 RSA. */
    public static PrivateKey privateKey(Path file) {
        for (Block b : blocks(file)) {
            switch (b.type()) {
                case "PRIVATE KEY" -> {
                    return pkcs8(file, b.der());
                }
                case "RSA PRIVATE KEY" -> {
                    return pkcs8(file, wrapRsa(b.der()));
                }
                case "ENCRYPTED PRIVATE KEY" -> throw new IllegalArgumentException(file
                        + ": the key is encrypted; give an unencrypted one (openssl pkcs8 -topk8 -nocrypt -in KEY)"
                        + " and protect the file by its permissions");
                case "EC PRIVATE KEY" -> throw new IllegalArgumentException(file
                        + ": an EC key in SEC1 form; convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8");
                default -> {
                    // certificates and parameters may share the file
                }
            }
        }
        throw new IllegalArgumentException(file + ": no PRIVATE KEY in it");
    }

    private static PrivateKey pkcs8(Path file, byte[] der) {
        for (String alg : List.of("RSA", "EC", "Ed25519", "Ed448")) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException notThisOne) {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException(file + ": a private key of a kind this JDK cannot read (RSA, EC, EdDSA)");
    }

    /** A PKCS#1 RSAPrivateKey inside a PKCS#8 PrivateKeyInfo: version 0, rsaEncryption, the key as an octet string. */
    private static byte[] wrapRsa(byte[] pkcs1) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {0x02, 0x01, 0x00});
        body.writeBytes(RSA_ALGORITHM);
        body.writeBytes(tlv(0x04, pkcs1));
        return tlv(0x30, body.toByteArray());
    }

    private static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int n = value.length;
        if (n < 0x80) {
            out.write(n);
        } else {
            int bytes = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) out.write(n >>> (8 * i));
        }
        out.writeBytes(value);
        return out.toByteArray();
    }

    /** A key store holding {@code key} with the certificate chain from {@code certFile}, under {@code password}. */
    public static KeyStore keyStore(Path certFile, Path keyFile, char[] password) {
        List<X509Certificate> chain = certificates(certFile);
        PrivateKey key = privateKey(keyFile);
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("gpufleet", key, password, chain.toArray(Certificate[]::new));
            return ks;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(keyFile + " and " + certFile + " do not make a key pair: " + e.getMessage(), e);
        }
    }

    /** A TLS context that trusts exactly the certificates in {@code caFile}: how a client verifies the controller. */
    public static SSLContext trusting(Path caFile) {
        try {
            KeyStore ts = KeyStore.getInstance("PKCS12");
            ts.load(null, null);
            int i = 0;
            for (X509Certificate c : certificates(caFile)) ts.setCertificateEntry("ca-" + i++, c);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ts);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot trust " + caFile + ": " + e.getMessage(), e);
        }
    }
}
