# Sourced by the load-test scripts that point the shared harness (../shared/bench/run.sh) at a ./pacs cluster.

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
