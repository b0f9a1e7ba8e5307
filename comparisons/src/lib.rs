//! Measures every row of the article's table (process, OS thread, green thread, goroutine, stackful
//! and stackless coroutines) on this machine and writes the comparison report.
