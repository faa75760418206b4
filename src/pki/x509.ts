// @peculiar/x509's dependency injector (tsyringe) needs the Reflect metadata API before it loads;
// import the library through this module.
import 'reflect-metadata'

export * from '@peculiar/x509'
