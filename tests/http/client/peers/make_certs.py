# Certificates for the client's TLS fault tests. Usage: make_certs.py DIR
# Writes into DIR: ca.pem (a test CA), and key + certificate pairs
#   good.*     localhost, signed by the CA
#   expired.*  localhost, signed by the CA, valid only in 2001
#   wronghost.* other.example, signed by the CA
#   self.*     localhost, self-signed
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

out = sys.argv[1]
now = datetime.datetime.now(datetime.timezone.utc)
day = datetime.timedelta(days=1)


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def write(prefix, key, cert):
    with open(f"{out}/{prefix}.key", "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(f"{out}/{prefix}.pem", "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


ca_key = ec.generate_private_key(ec.SECP256R1())
ca = (x509.CertificateBuilder().subject_name(name("aio test CA")).issuer_name(name("aio test CA"))
      .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
      .not_valid_before(now - day).not_valid_after(now + 30 * day)
      .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
      .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                   data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                   encipher_only=False, decipher_only=False), critical=True)
      .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
      .sign(ca_key, hashes.SHA256()))
with open(f"{out}/ca.pem", "wb") as f:
    f.write(ca.public_bytes(serialization.Encoding.PEM))


def leaf(prefix, host, start, end, self_signed=False):
    key = ec.generate_private_key(ec.SECP256R1())
    issuer_key, issuer = (key, name(host)) if self_signed else (ca_key, ca.subject)
    builder = (x509.CertificateBuilder().subject_name(name(host)).issuer_name(issuer)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(end)
               .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False))
    if not self_signed:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    write(prefix, key, builder.sign(issuer_key, hashes.SHA256()))


leaf("good", "localhost", now - day, now + 30 * day)
leaf("expired", "localhost", datetime.datetime(2001, 1, 1, tzinfo=datetime.timezone.utc),
     datetime.datetime(2001, 2, 1, tzinfo=datetime.timezone.utc))
leaf("wronghost", "other.example", now - day, now + 30 * day)
leaf("self", "localhost", now - day, now + 30 * day, self_signed=True)
