TAG = "helper@1"
