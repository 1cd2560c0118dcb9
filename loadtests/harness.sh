# Sourced by the load-test scripts that start ./pacs clusters and point the shared harness (../shared/bench) at them.

# harness_target FILE NAME INFO HTTP_PORT DICOM_PORT TOKEN [LINE...]: the harness' target file for a cluster on
# loopback (called AE title CLINTON, calling BENCHSCU, DICOMweb at /dicom-web); each further LINE (MOVE_DEST_AET=...,
# TARGET_DISK_CMD=...) is appended as given.
harness_target() {
  local file=$1 name=$2 info=$3 http=$4 dicom=$5 token=$6
  shift 6
  {
    printf '%s\n' "TARGET_NAME=$name" "TARGET_INFO=$info" "DICOM_HOST=127.0.0.1" "DICOM_PORT=$dicom" "CALLED_AET=CLINTON" \
      "CALLING_AET=BENCHSCU" "DICOMWEB_BASE=http://127.0.0.1:$http/dicom-web" "BEARER_TOKEN=$token"
    if [[ $# -gt 0 ]]; then printf '%s\n' "$@"; fi
  } > "$file"
}

# pacs_of CHECKOUT -> the ./pacs to start that checkout's build with, and the option that skips building, if its ./pacs
# has one; an older checkout's (before --no-build) gets a copy whose build steps do nothing (.pacs-nobuild). Use:
#   read -r pacs nobuild <<<"$(pacs_of DIR)"; $pacs up $nobuild --detach ...
pacs_of() {
  if grep -q -- '--no-build) NO_BUILD=1' "$1/pacs"; then
    echo "$1/pacs --no-build"
  else
    sed 's/^\( *\)dotnet build /\1true /' "$1/pacs" > "$1/.pacs-nobuild"
    chmod +x "$1/.pacs-nobuild"
    echo "$1/.pacs-nobuild"
  fi
}
