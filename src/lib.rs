//! renda — 数字人大: an open platform for the daily work of China's local People's Congresses.

pub mod app;
pub mod appointments;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod cli;
pub mod db;
pub mod demo;
pub mod export;
pub mod handling;
pub mod jobs;
pub mod modules;
pub mod nlp;
pub mod notify;
pub mod opinions;
pub mod org;
pub mod privacy;
pub mod publish;
pub mod qr;
pub mod receptions;
pub mod registry;
pub mod sheet;
pub mod storage;
pub mod system;
pub mod webhooks;
