#!/bin/sh
# Makes the TLS files of dct admission without cert-manager, for the self-signed overlay:
#   certs/ca.crt, certs/ca.key    a CA of its own (kept and reused when present, so that running
#                                 this again renews the serving certificate under the same CA
#                                 and the webhooks' caBundle does not change)
#   certs/tls.crt, certs/tls.key  the serving certificate, for the Service's DNS names
# kustomize (kustomization.yaml here) turns them into the Secret dct-admission-tls and puts
# ca.crt into both webhook configurations' caBundle. certs/ holds private keys: it is
# git-ignored; keep ca.key somewhere safe (or delete it and make a new CA next time).
#
# Usage: make-certs.sh [OUTDIR]      (default: certs/ beside this script)
# Environment: SERVICE (dct-admission), NAMESPACE (dct-system), DAYS (365), CA_DAYS (3650)
# Needs OpenSSL 1.1.1 or later.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/certs"}
service=${SERVICE:-dct-admission}
namespace=${NAMESPACE:-dct-system}
days=${DAYS:-365}
ca_days=${CA_DAYS:-3650}

for label in "$service" "$namespace"; do
  case "$label" in
    '' | -* | *- | *[!a-z0-9-]*)
      echo "make-certs.sh: SERVICE and NAMESPACE must be DNS labels (a-z, 0-9 and inner '-'), not '$label'" >&2
      exit 2
      ;;
  esac
done

mkdir -p "$out"
umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# runs a command, showing what it wrote to stderr only when it fails
quiet() { "$@" 2>"$tmp/stderr" || { cat "$tmp/stderr" >&2; exit 1; }; }

if [ ! -s "$out/ca.key" ] || [ ! -s "$out/ca.crt" ]; then
  quiet openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 \
    -keyout "$out/ca.key" -out "$out/ca.crt" -days "$ca_days" \
    -subj "/CN=$service.$namespace webhook CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign"
  echo "made a new CA: $out/ca.crt"
fi

cat > "$tmp/serving.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:$service,DNS:$service.$namespace,DNS:$service.$namespace.svc,DNS:$service.$namespace.svc.cluster.local
EXT

quiet openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 \
  -keyout "$out/tls.key" -out "$tmp/tls.csr" -subj "/CN=$service.$namespace.svc"
quiet openssl x509 -req -sha256 -in "$tmp/tls.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
  -CAserial "$tmp/ca.srl" -days "$days" -extfile "$tmp/serving.ext" -out "$out/tls.crt"
chmod 0644 "$out/ca.crt" "$out/tls.crt"

quiet openssl verify -CAfile "$out/ca.crt" -purpose sslserver "$out/tls.crt" >/dev/null
echo "made the serving certificate for $service.$namespace.svc: $out/tls.crt (valid $days days)"
