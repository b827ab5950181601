// Package viewer turns decrypted PDF bytes into watermarked page images, in
// memory only, without any GUI.
//
// # Engine
//
// An [Engine] runs a small pool of PDFium instances (go-pdfium's
// WebAssembly build, executed in process by wazero; 2 workers by default so
// the next pages render while one is shown). NewEngine starts compiling the
// module in the background at once; [Engine.Ready] waits for it. Documents
// open from bytes ([Engine.Open]) or an io.ReaderAt ([Engine.OpenReaderAt]),
// never from a path. pdfcpu validates every document first (relaxed mode,
// a fresh configuration per call) and the viewer rejects what it cannot
// parse, with the reason; password-protected files fail with [ErrPassword].
//
// # Watermark
//
// Every image that [Document.Render] returns carries the document's
// [Watermark]: officer ID and name, case number, document, the time to the
// minute and the session code, in the embedded Go Bold font, tiled across
// the page at -30 degrees, as translucent dark ink with a translucent light
// halo, so that it reads on white, black and photographic pages alike.
// There is no option to turn it off. The clean render is cached and the
// watermark composited onto a copy, so rendering the shown page again when
// the minute changes ([Document.WatermarkValidUntil]) is cheap.
//
// # Memory, not disk
//
// Rendered pages live in a page cache bounded by [Config.CacheBudget], least
// recently used out first; every buffer it drops is zeroed. [Engine.Wipe]
// zeroes the cache, the watermarked images handed out that callers still
// hold, and the WebAssembly memory of every PDFium instance (where the
// document bytes, decoded images and text lived), then replaces the
// instances and closes every document.
//
// Nothing touches the file system: PDFium runs with an empty
// wazero.FSConfig (no directory mounted, so it can read no system fonts and
// write nothing; it uses the fonts compiled into it), its stdout and
// stderr go nowhere, wazero's compilation cache is not enabled (the module
// is compiled in memory at every start), and pdfcpu's configuration folder
// is disabled before its first use. A test runs the whole engine with HOME,
// TMPDIR, XDG folders and the working directory pointed at empty folders and
// checks they stay empty.
//
// # Coordinates
//
// [Rect] and find hits are in PDF page coordinates: points, origin at the
// bottom-left corner, y up. [PageToPixel] and [PixelToPage] convert to and
// from the pixels of a page rendered at a zoom (1 = 72 DPI, origin top-left,
// y down); [DrawHighlights], [DrawFindHits] and [DrawNoteMarker] draw the
// annotation and search overlay onto a page image.
//
// # Limits
//
// Untrusted input is capped ([MaxPDFSize], [MaxPages], [MaxPixels],
// [MaxZoom], [MaxQueryLen], [MaxHits]), and every PDFium job runs under a
// time limit ([Config.JobTimeout]): a job that runs over is killed with its
// instance, which is replaced, and a call that does not return even then
// is abandoned with its worker, so callers get [ErrTimeout] and the engine
// keeps serving (see [Config.Interruptible] for the trade-off). A caller's
// context bounds how long the caller waits, never the job itself: a page
// whose reader moved on finishes into the cache.
package viewer
