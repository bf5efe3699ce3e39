//! One integration binary: every test runs through the front door on a fresh database.

mod support;

mod api;
mod appointments;
mod architecture;
mod audit_chain;
mod auth;
mod ballot;
mod calendar;
mod cli;
mod demo_data;
mod foreign_keys;
mod jobs;
mod legislation;
mod loop_kinds;
mod manifest;
mod matrix;
mod meetings;
mod names;
mod opinions;
mod outage;
mod pages;
mod phone;
mod receptions;
mod registry;
mod security;
mod suggestions;
mod webhooks;
mod write_path;
