package main

// sysGetcpu is getcpu(2) on linux/arm64 (Go's syscall package does not name it).
const sysGetcpu = 168
