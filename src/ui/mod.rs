//! Rendering: reads the app state, writes a frame. Nothing here awaits or does I/O.

pub mod text_table;
