//! The `fermyon:spin@2.0.0` interfaces this host does not provide.
//!
//! A spin-sdk component may import LLM inferencing, Redis, MQTT, `PostgreSQL`,
//! `MySQL` or `SQLite` even if the path being tested never calls them; it must
//! still instantiate. So these are linked (only when the component imports
//! them), and every call answers the interface's own error saying so, rather
//! than trapping: the guest sees a failure it can handle, as it would under a
//! Spin whose runtime configuration lacks that service. No call can reach a
//! connection method, because `open` never creates a connection.

use crate::bindings::fermyon::spin::{llm, mqtt, mysql, postgres, rdbms_types, redis, sqlite};
use crate::state::RequestState;
use wasmtime::component::Resource;

/// What every refused call says.
pub const NOT_PROVIDED: &str = "not provided by this host";

fn message(what: &str) -> String {
    format!("{what} is {NOT_PROVIDED}")
}

impl llm::Host for RequestState {
    fn infer(
        &mut self,
        _model: String,
        _prompt: String,
        _params: Option<llm::InferencingParams>,
    ) -> Result<llm::InferencingResult, llm::Error> {
        Err(llm::Error::RuntimeError(message("LLM inferencing")))
    }

    fn generate_embeddings(&mut self, _model: String, _text: Vec<String>) -> Result<llm::EmbeddingsResult, llm::Error> {
        Err(llm::Error::RuntimeError(message("LLM embeddings")))
    }
}

impl redis::Host for RequestState {}

impl redis::HostConnection for RequestState {
    fn open(&mut self, _address: String) -> Result<Resource<redis::Connection>, redis::Error> {
        Err(redis::Error::Other(message("Redis")))
    }
    fn publish(&mut self, _: Resource<redis::Connection>, _: String, _: Vec<u8>) -> Result<(), redis::Error> {
        Err(redis::Error::Other(message("Redis")))
    }
    fn get(&mut self, _: Resource<redis::Connection>, _: String) -> Result<Option<Vec<u8>>, redis::Error> {
        Err(redis::Error::Other(message("Redis")))
    }
    fn set(&mut self, _: Resource<redis::Connection>, _: String, _: Vec<u8>) -> Result<(), redis::Error> {
        Err(redis::Error::Other(message("Redis")))
    }
    fn incr(&mut self, _: Resource<redis::Connection>, _: String) -> Result<i64, redis::Error> {
        Err(redis::Error::Other(message("Redis")))
    }
    fn del(&mut self, _: Resource<redis::Connection>, _: Vec<String>) -> Result<u32, redis::Error> {
        Err(redis::Error::Other(message("Redis")))
    }
    fn sadd(&mut self, _: Resource<redis::Connection>, _: String, _: Vec<String>) -> Result<u32, redis::Error> {
        Err(redis::Error::Other(message("Redis")))
    }
    fn smembers(&mut self, _: Resource<redis::Connection>, _: String) -> Result<Vec<String>, redis::Error> {
        Err(redis::Error::Other(message("Redis")))
    }
    fn srem(&mut self, _: Resource<redis::Connection>, _: String, _: Vec<String>) -> Result<u32, redis::Error> {
        Err(redis::Error::Other(message("Redis")))
    }
    fn execute(
        &mut self,
        _: Resource<redis::Connection>,
        _: String,
        _: Vec<redis::RedisParameter>,
    ) -> Result<Vec<redis::RedisResult>, redis::Error> {
        Err(redis::Error::Other(message("Redis")))
    }
    fn drop(&mut self, _: Resource<redis::Connection>) -> wasmtime::Result<()> {
        Ok(())
    }
}

impl mqtt::Host for RequestState {}

impl mqtt::HostConnection for RequestState {
    fn open(&mut self, _: String, _: String, _: String, _: u64) -> Result<Resource<mqtt::Connection>, mqtt::Error> {
        Err(mqtt::Error::ConnectionFailed(message("MQTT")))
    }
    fn publish(
        &mut self,
        _: Resource<mqtt::Connection>,
        _: String,
        _: Vec<u8>,
        _: mqtt::Qos,
    ) -> Result<(), mqtt::Error> {
        Err(mqtt::Error::Other(message("MQTT")))
    }
    fn drop(&mut self, _: Resource<mqtt::Connection>) -> wasmtime::Result<()> {
        Ok(())
    }
}

impl rdbms_types::Host for RequestState {}

impl postgres::Host for RequestState {}

impl postgres::HostConnection for RequestState {
    fn open(&mut self, _: String) -> Result<Resource<postgres::Connection>, rdbms_types::Error> {
        Err(rdbms_types::Error::ConnectionFailed(message("PostgreSQL")))
    }
    fn query(
        &mut self,
        _: Resource<postgres::Connection>,
        _: String,
        _: Vec<rdbms_types::ParameterValue>,
    ) -> Result<rdbms_types::RowSet, rdbms_types::Error> {
        Err(rdbms_types::Error::Other(message("PostgreSQL")))
    }
    fn execute(
        &mut self,
        _: Resource<postgres::Connection>,
        _: String,
        _: Vec<rdbms_types::ParameterValue>,
    ) -> Result<u64, rdbms_types::Error> {
        Err(rdbms_types::Error::Other(message("PostgreSQL")))
    }
    fn drop(&mut self, _: Resource<postgres::Connection>) -> wasmtime::Result<()> {
        Ok(())
    }
}

impl mysql::Host for RequestState {}

impl mysql::HostConnection for RequestState {
    fn open(&mut self, _: String) -> Result<Resource<mysql::Connection>, rdbms_types::Error> {
        Err(rdbms_types::Error::ConnectionFailed(message("MySQL")))
    }
    fn query(
        &mut self,
        _: Resource<mysql::Connection>,
        _: String,
        _: Vec<rdbms_types::ParameterValue>,
    ) -> Result<rdbms_types::RowSet, rdbms_types::Error> {
        Err(rdbms_types::Error::Other(message("MySQL")))
    }
    fn execute(
        &mut self,
        _: Resource<mysql::Connection>,
        _: String,
        _: Vec<rdbms_types::ParameterValue>,
    ) -> Result<(), rdbms_types::Error> {
        Err(rdbms_types::Error::Other(message("MySQL")))
    }
    fn drop(&mut self, _: Resource<mysql::Connection>) -> wasmtime::Result<()> {
        Ok(())
    }
}

impl sqlite::Host for RequestState {}

impl sqlite::HostConnection for RequestState {
    fn open(&mut self, _: String) -> Result<Resource<sqlite::Connection>, sqlite::Error> {
        Err(sqlite::Error::Io(message("SQLite")))
    }
    fn execute(
        &mut self,
        _: Resource<sqlite::Connection>,
        _: String,
        _: Vec<sqlite::Value>,
    ) -> Result<sqlite::QueryResult, sqlite::Error> {
        Err(sqlite::Error::Io(message("SQLite")))
    }
    fn drop(&mut self, _: Resource<sqlite::Connection>) -> wasmtime::Result<()> {
        Ok(())
    }
}
