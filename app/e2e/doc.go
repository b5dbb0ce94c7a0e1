// Package e2e drives the browser app (package app) in headless Chromium from Go and
// checks it against the native engine; it holds only tests.
package e2e
