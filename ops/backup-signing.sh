#!/usr/bin/env bash
# backup-signing.sh — signatures on the backups' metadata.json and latest.json.
#
# Sourced after backup-lib.sh by the backup, verify and restore scripts; never run on its own.
#
# Every metadata.json (which records the backup's key, timestamp and sha256) and every
# latest.json pointer is one line of JSON ending in a signature over the same line without it:
#   {"key":…,"sha256":…}  is signed and stored as  {"key":…,"sha256":…,"signature":"<base64>"}
# The signature is ECDSA P-256 over the SHA-256 of those bytes, DER-encoded (what KMS returns
# for ECDSA_SHA_256 and what `openssl dgst -verify` reads).
#
# Signing (the backup jobs):
#   BACKUP_SIGNING_KEY_ID    the stack's KMS signing key; `aws kms sign` with the message type
#                            DIGEST. Its key policy lets only the backup jobs' roles sign.
#   BACKUP_SIGNING_KEY_FILE  a PEM private key signed with locally by openssl instead (a lab or
#                            a test without KMS). Exactly one of the two.
#   KMS_ENDPOINT_URL         another KMS endpoint                           (default: AWS)
# Checking (restore and verify, and the backup jobs after signing):
#   BACKUP_TRUSTED_KEYS      the public keys (PEM, one or more) a signature must verify with:
#                            this stack's and the other stack's signing keys, pinned at deploy
#                            time. The check runs offline with openssl, so a DR restore needs
#                            neither KMS nor the region that signed.
#   BACKUP_ACCEPT_UNSIGNED   true: accept a file with no signature at all (backups taken before
#                            signing began), with a warning. Restore only; never set in a
#                            CronJob. A file with a signature that fails is refused regardless.
#
# Anyone who can write to the bucket can replace a dump, its metadata.json and latest.json; only
# the holder of the signing key can make them verify again.
set -euo pipefail

# kms ARGS...: the AWS CLI's kms commands (KMS_ENDPOINT_URL points them elsewhere).
kms() {
    local args=()
    if [[ -n ${KMS_ENDPOINT_URL:-} ]]; then args+=(--endpoint-url "$KMS_ENDPOINT_URL"); fi
    aws "${args[@]}" kms "$@"
}

# sha256_binary FILE: the raw 32-byte SHA-256 of FILE on stdout (no xxd or openssl needed).
sha256_binary() {
    local hex escaped="" i
    hex=$(sha256_of "$1")
    for ((i = 0; i < ${#hex}; i += 2)); do escaped+="\\x${hex:i:2}"; done
    printf '%b' "$escaped"
}

# signing_scratch NAME: a scratch file outside any upload directory.
signing_scratch() { printf '%s/signing.%s' "${RUN_DIR:-${WORK_DIR%/}}" "$1"; }

# sign_json FILE: append the signature to the one-line JSON object in FILE.
sign_json() {
    local file=$1 payload digest signature errfile
    payload=$(<"$file")
    if [[ $payload != \{*\} || $payload == *$'\n'* ]]; then
        fail "only a one-line JSON object can be signed" file "$file"
    fi
    if [[ $payload =~ ,\"signature\":\"[^\"]*\"\}$ ]]; then
        fail "the file is signed already" file "$file"
    fi
    printf '%s' "$payload" >"$(signing_scratch payload)"
    digest=$(signing_scratch digest)
    errfile=$(signing_scratch err)
    sha256_binary "$(signing_scratch payload)" >"$digest"
    if [[ -n ${BACKUP_SIGNING_KEY_ID:-} && -n ${BACKUP_SIGNING_KEY_FILE:-} ]]; then
        fail "set BACKUP_SIGNING_KEY_ID or BACKUP_SIGNING_KEY_FILE, not both"
    elif [[ -n ${BACKUP_SIGNING_KEY_ID:-} ]]; then
        signature=$(kms sign --key-id "$BACKUP_SIGNING_KEY_ID" --message "fileb://${digest}" \
            --message-type DIGEST --signing-algorithm ECDSA_SHA_256 \
            --query Signature --output text 2>"$errfile") ||
            fail "KMS did not sign; nothing was uploaded" key_id "$BACKUP_SIGNING_KEY_ID" \
                file "$(basename "$file")" stderr "$(tail -c 1000 "$errfile")"
    elif [[ -n ${BACKUP_SIGNING_KEY_FILE:-} ]]; then
        if ! signature=$(openssl pkeyutl -sign -inkey "$BACKUP_SIGNING_KEY_FILE" \
            -in "$digest" 2>"$errfile" | base64 -w0) || [[ -z $signature ]]; then
            fail "openssl did not sign" key_file "$BACKUP_SIGNING_KEY_FILE" \
                stderr "$(tail -c 1000 "$errfile")"
        fi
    else
        fail "no signing key: set BACKUP_SIGNING_KEY_ID (the stack's KMS signing key) or BACKUP_SIGNING_KEY_FILE"
    fi
    if [[ ! $signature =~ ^[A-Za-z0-9+/]+={0,2}$ ]]; then
        fail "the signer returned no base64 signature" output "${signature:0:200}"
    fi
    printf '%s,"signature":"%s"}\n' "${payload%\}}" "$signature" >"$file"
    rm -f "$(signing_scratch payload)" "$digest" "$errfile"
}

# load_trusted_keys: split BACKUP_TRUSTED_KEYS into one PEM file per key, each checked to be a
# public key; sets TRUSTED_KEY_FILES.
load_trusted_keys() {
    local dir file
    TRUSTED_KEY_FILES=()
    if [[ -z ${BACKUP_TRUSTED_KEYS:-} ]]; then
        fail "no trusted signing keys: BACKUP_TRUSTED_KEYS must hold the public keys (PEM) backups are signed with"
    fi
    if ! command -v openssl >/dev/null; then
        fail "openssl is required to check backup signatures and is not on PATH" path "$PATH"
    fi
    dir=$(signing_scratch trusted)
    rm -rf "$dir"
    mkdir -p "$dir"
    printf '%s\n' "$BACKUP_TRUSTED_KEYS" | awk -v dir="$dir" '
        /-----BEGIN PUBLIC KEY-----/ { n++; out = sprintf("%s/key-%d.pem", dir, n) }
        out != "" { print > out }
        /-----END PUBLIC KEY-----/ { close(out); out = "" }'
    for file in "$dir"/key-*.pem; do
        [[ -e $file ]] || continue
        if ! openssl pkey -pubin -in "$file" -noout 2>/dev/null; then
            fail "BACKUP_TRUSTED_KEYS holds a block that is not a public key" block "$(basename "$file")"
        fi
        TRUSTED_KEY_FILES+=("$file")
    done
    if ((${#TRUSTED_KEY_FILES[@]} == 0)); then
        fail "BACKUP_TRUSTED_KEYS holds no PEM public key (-----BEGIN PUBLIC KEY-----)"
    fi
}

# key_fingerprint PEM_FILE: the first 16 hex digits of the SHA-256 of the DER public key.
key_fingerprint() {
    openssl pkey -pubin -in "$1" -outform DER 2>/dev/null | sha256sum | cut -c1-16
}

# shellcheck disable=SC2034 # SIGNED_BY is read by the sourcing script
# verify_json FILE WHAT: FILE's signature must verify with one of BACKUP_TRUSTED_KEYS; sets
# SIGNED_BY to the fingerprint of the key that verified it.
verify_json() {
    local file=$1 what=$2 line payload signature key
    SIGNED_BY=""
    line=$(<"$file")
    if [[ ! $line =~ ^(\{.*),\"signature\":\"([A-Za-z0-9+/]+={0,2})\"\}$ ]]; then
        if [[ $line != *'"signature"'* && ${BACKUP_ACCEPT_UNSIGNED:-false} == true ]]; then
            warn "accepting an unsigned file because BACKUP_ACCEPT_UNSIGNED=true" file "$what"
            SIGNED_BY="unsigned"
            return 0
        fi
        fail "${what} is not signed: it may have been written by someone other than the backup job" \
            hint "backups taken before signing began restore with BACKUP_ACCEPT_UNSIGNED=true"
    fi
    payload="${BASH_REMATCH[1]}}"
    signature=${BASH_REMATCH[2]}
    printf '%s' "$payload" >"$(signing_scratch checked)"
    if ! base64 -d <<<"$signature" >"$(signing_scratch signature)" 2>/dev/null; then
        fail "${what} has a signature that is not base64"
    fi
    load_trusted_keys
    for key in "${TRUSTED_KEY_FILES[@]}"; do
        if openssl dgst -sha256 -verify "$key" -signature "$(signing_scratch signature)" \
            "$(signing_scratch checked)" >/dev/null 2>&1; then
            SIGNED_BY=$(key_fingerprint "$key")
            return 0
        fi
    done
    fail "${what} has a signature that no trusted key verifies: it was changed or signed by another key" \
        trusted_keys "${#TRUSTED_KEY_FILES[@]}"
}

# backup_path_tail KEY: <tier>/<stamp>/<file>, the part of a key that does not depend on the
# root it was copied under (failback copies dr/postgres/… into postgres/…).
backup_path_tail() {
    local key=$1
    key=${key#"${key%/*/*/*}"/}
    printf '%s' "$key"
}

# check_backup_metadata META_FILE OBJECT_FILE KEY EXPECTED_SHA256: the signed metadata.json
# describes this backup (its key's <tier>/<stamp>/<file>), the pointer agrees with it, and the
# object's sha256 is the one it records. Sets META_SHA.
check_backup_metadata() {
    local meta=$1 object=$2 key=$3 expected=$4 meta_key
    verify_json "$meta" "metadata.json of ${key}"
    META_SHA=$(json_get "$meta" sha256)
    if [[ -z $META_SHA ]]; then fail "metadata.json has no sha256" key "$key"; fi
    meta_key=$(json_get "$meta" key)
    if [[ ($SIGNED_BY != unsigned || -n $meta_key) &&
        $(backup_path_tail "$meta_key") != $(backup_path_tail "$key") ]]; then
        fail "metadata.json describes another backup" key "$key" metadata_key "$meta_key"
    fi
    if [[ -n $expected && $expected != "$META_SHA" ]]; then
        fail "latest.json and metadata.json disagree on the sha256" pointer "$expected" metadata "$META_SHA"
    fi
    check_sha256 "$object" "$META_SHA" "backup ${key}"
    info "the backup's signed metadata and sha256 check out" key "$key" sha256 "$META_SHA" \
        signed_by "$SIGNED_BY"
}

# verify_pointer POINTER PREFIX FILE_NAME: the signed latest.json names a FILE_NAME under PREFIX.
verify_pointer() {
    local pointer=$1 prefix=$2 file_name=$3 key
    verify_json "$pointer" "the latest pointer ${prefix}/latest.json"
    key=$(json_get "$pointer" key)
    if [[ $key != "${prefix}/"* || $key != *"/${file_name}" ]]; then
        fail "the latest pointer names an object outside its prefix" pointer "${prefix}/latest.json" \
            key "$key" expected "${prefix}/<tier>/<stamp>/${file_name}"
    fi
}

# sign_metadata FILE: sign a new metadata.json and check the signature with the trusted keys.
sign_metadata() {
    sign_json "$1"
    check_own_signature "$1" "the new metadata.json"
}

# check_own_signature FILE WHAT: what the job just signed must verify with the trusted keys, so
# a signing key the readers do not trust shows at backup time, not at a restore.
check_own_signature() {
    verify_json "$1" "$2"
    info "signed" file "$2" signed_by "$SIGNED_BY"
}
